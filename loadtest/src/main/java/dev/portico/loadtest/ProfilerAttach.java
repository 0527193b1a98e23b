package dev.portico.loadtest;

import com.sun.tools.attach.VirtualMachine;

/**
 * Sends one command to async-profiler inside a running JVM ({@code java ProfilerAttach.java PID LIBRARY
 * COMMAND}), as async-profiler's own launcher does: jcmd's JVMTI.agent_load would read the command's
 * {@code key=value} pairs as its own arguments.
 */
public final class ProfilerAttach {
    private ProfilerAttach() {}

    public static void main(String[] args) throws Exception {
        final VirtualMachine vm = VirtualMachine.attach(args[0]);
        try {
            vm.loadAgentPath(args[1], args[2]);
        } finally {
            vm.detach();
        }
    }
}
