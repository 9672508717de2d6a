package dev.nncompress.backend.cuda.driver;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of the copies between host and device in this process (every one goes through {@link DeviceBuffer}):
 * instrumentation for tests that check what a call moves, e.g. that an int8 model's batch on the CUDA backend
 * uploads its input once and downloads its logits once (issue 21). Process-wide, like {@link Kernel#launches()}:
 * compare two {@link #snapshot()}s taken around the work, with nothing else using the device in between.
 */
public final class Transfers {
    private static final LongAdder uploads = new LongAdder(), uploadBytes = new LongAdder();
    private static final LongAdder downloads = new LongAdder(), downloadBytes = new LongAdder();

    private Transfers() {}

    /** Host-to-device copies and their bytes, device-to-host copies and their bytes, so far. */
    public record Snapshot(long uploads, long uploadBytes, long downloads, long downloadBytes) {
        /** What happened between {@code before} and this snapshot. */
        public Snapshot minus(Snapshot before) {
            return new Snapshot(uploads - before.uploads, uploadBytes - before.uploadBytes, downloads - before.downloads,
                    downloadBytes - before.downloadBytes);
        }

        @Override public String toString() {
            return uploads + " uploads (" + uploadBytes + " bytes), " + downloads + " downloads (" + downloadBytes + " bytes)";
        }
    }

    public static Snapshot snapshot() { return new Snapshot(uploads.sum(), uploadBytes.sum(), downloads.sum(), downloadBytes.sum()); }

    static void upload(long bytes) {
        uploads.increment();
        uploadBytes.add(bytes);
    }

    static void download(long bytes) {
        downloads.increment();
        downloadBytes.add(bytes);
    }
}
