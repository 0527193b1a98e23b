package dev.portico.proxy.testing;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The repository's Dockerfile, as instructions (continuation lines joined, comments dropped), for the
 * tests that check what the image runs.
 */
public final class Dockerfile {
    /** One instruction: its keyword in upper case and the rest of its line. */
    public record Instruction(String keyword, String arguments) {}

    private final List<Instruction> instructions;

    private Dockerfile(List<Instruction> instructions) {
        this.instructions = instructions;
    }

    public static Dockerfile read() throws IOException {
        final List<Instruction> instructions = new ArrayList<>();
        final StringBuilder line = new StringBuilder();
        for (String raw : DeployFiles.text("Dockerfile").split("\n", -1)) {
            final String trimmed = raw.strip();
            if (trimmed.startsWith("#") || trimmed.isEmpty() && line.length() == 0) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                line.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            line.append(trimmed);
            final String whole = line.toString().strip();
            line.setLength(0);
            if (!whole.isEmpty()) {
                final String[] parts = whole.split("\\s+", 2);
                instructions.add(new Instruction(parts[0].toUpperCase(Locale.ROOT),
                                                 parts.length > 1 ? parts[1] : ""));
            }
        }
        return new Dockerfile(instructions);
    }

    /** The instructions of the last stage: the image that runs. */
    public List<Instruction> finalStage() {
        int from = 0;
        for (int i = 0; i < instructions.size(); i++) {
            if (instructions.get(i).keyword().equals("FROM")) {
                from = i;
            }
        }
        return instructions.subList(from, instructions.size());
    }

    /** Every instruction of every stage. */
    public List<Instruction> all() {
        return instructions;
    }

    /** The last instruction with {@code keyword} in the final stage (the one that counts), if any. */
    public Optional<Instruction> last(String keyword) {
        Instruction found = null;
        for (Instruction instruction : finalStage()) {
            if (instruction.keyword().equals(keyword)) {
                found = instruction;
            }
        }
        return Optional.ofNullable(found);
    }

    /** The exec form {@code ["a", "b"]} as a list; fails on the shell form, whose parsing needs a shell. */
    public static List<String> execForm(String json) {
        if (!json.strip().startsWith("[")) {
            throw new AssertionError("expected the exec form [\"...\"], got " + json);
        }
        final List<String> words = new ArrayList<>();
        JsonParser.parseString(json).getAsJsonArray().forEach(word -> words.add(word.getAsString()));
        return words;
    }
}
