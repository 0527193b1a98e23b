package dev.portico.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a leaked buffer, instead of only logging it.
 *
 * <p>Netty creates the buffer leak detector once, when the first buffer class loads; this extension installs
 * a recording factory before that. If another test in the same JVM loaded buffers first, the factory cannot
 * take effect; the extension then says so on stderr and the tests' own {@code refCnt() == 0} checks remain.
 * Leaks surface when the garbage collector finds the buffer, so the check runs after all tests of a class,
 * after a collection and a few allocations (which is when the detector drains its queue); a report names the
 * code that touched the buffer last, which may belong to an earlier class in the same JVM.
 */
public final class LeakReportsExtension implements AfterAllCallback {

    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static volatile boolean installed;

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
        // Loads the buffer classes now, so that their detector comes from the factory above.
        ByteBufAllocator.DEFAULT.buffer(1).release();
        if (!installed) {
            System.err.println("LeakReportsExtension: buffer classes were loaded before the extension; " +
                               "leak reports are only logged");
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        if (!installed) {
            return;
        }
        for (int round = 0; round < 3 && LEAKS.isEmpty(); round++) {
            System.gc();
            Thread.sleep(20);
            // Under the paranoid level every allocation polls the detector's reference queue.
            for (int i = 0; i < 16; i++) {
                ByteBufAllocator.DEFAULT.buffer(1).release();
            }
        }
        final List<String> leaks = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            leaks.add(leak);
        }
        assertThat(leaks).as("Netty leak reports after %s", context.getDisplayName()).isEmpty();
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            if (resource == ByteBuf.class) {
                installed = true;
            }
            return new RecordingDetector<>(resource, samplingInterval);
        }

        /** Still abstract in Netty; everything goes through the two-argument form above. */
        @Deprecated
        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                  long maxActive) {
            return newResourceLeakDetector(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
        RecordingDetector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add(resourceType + " leaked:" + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add(resourceType + " leaked (untraced)");
            super.reportUntracedLeak(resourceType);
        }
    }
}
