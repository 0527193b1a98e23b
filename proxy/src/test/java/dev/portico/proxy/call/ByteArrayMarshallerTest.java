package dev.portico.proxy.call;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The request stream handed to grpc-java: known length, drained in one write, readable as a stream. */
class ByteArrayMarshallerTest {
    private static final byte[] MESSAGE = "a request message".getBytes(StandardCharsets.UTF_8);

    @Test
    void drainsItsBytesInOneWriteAndIsThenEmpty() throws Exception {
        final InputStream stream = ByteArrayMarshaller.INSTANCE.stream(MESSAGE);
        assertThat(stream).isInstanceOf(KnownLength.class).isInstanceOf(Drainable.class);
        assertThat(stream.available()).isEqualTo(MESSAGE.length);
        final int[] writes = {0};
        final ByteArrayOutputStream target = new ByteArrayOutputStream() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                writes[0]++;
                super.write(b, off, len);
            }
        };
        assertThat(((Drainable) stream).drainTo(target)).isEqualTo(MESSAGE.length);
        assertThat(target.toByteArray()).isEqualTo(MESSAGE);
        assertThat(writes[0]).isEqualTo(1);
        assertThat(stream.available()).isZero();
        assertThat(stream.read()).isEqualTo(-1);
    }

    @Test
    void drainsWhatIsLeftAfterAPartialRead() throws Exception {
        final InputStream stream = ByteArrayMarshaller.INSTANCE.stream(MESSAGE);
        assertThat(stream.read()).isEqualTo('a');
        final ByteArrayOutputStream target = new ByteArrayOutputStream();
        assertThat(((Drainable) stream).drainTo(target)).isEqualTo(MESSAGE.length - 1);
        assertThat(target.toString(StandardCharsets.UTF_8)).isEqualTo(" request message");
    }

    @Test
    void parseReadsTheWholeStream() {
        assertThat(ByteArrayMarshaller.INSTANCE.parse(ByteArrayMarshaller.INSTANCE.stream(MESSAGE)))
                .isEqualTo(MESSAGE);
    }
}
