package dev.nncompress.graph;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CallGuard}: close waits for the call in flight, frees once, refuses later calls and a close from inside a call. */
class CallGuardTest {
    @Test
    void closeWaitsForTheCallInFlightThenFreesOnceAndRefusesLaterCalls() throws Exception {
        CallGuard g = new CallGuard("predictor p", false);
        AtomicInteger frees = new AtomicInteger();
        AtomicBoolean callDone = new AtomicBoolean();
        CountDownLatch inCall = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            try (CallGuard.Use u = g.enter()) {
                inCall.countDown();
                Thread.sleep(200);
                callDone.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        caller.start();
        assertTrue(inCall.await(5, TimeUnit.SECONDS));
        g.close(() -> {
            assertTrue(callDone.get(), "freed while a call was in flight");
            frees.incrementAndGet();
        });
        g.close(frees::incrementAndGet);
        assertEquals(1, frees.get());
        assertTrue(g.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, g::enter);
        assertEquals("predictor p is closed", e.getMessage());
        caller.join();
    }

    @Test
    void closeFromInsideACallIsRefusedInsteadOfWaitingForItself() {
        CallGuard g = new CallGuard("plan q", false);
        try (CallGuard.Use u = g.enter()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.close(() -> {}));
            assertEquals("cannot close plan q from inside a call to it", e.getMessage());
        }
        assertFalse(g.isClosed());
        g.close(() -> {});
        assertTrue(g.isClosed());
    }

    @Test
    void oneAtATimeLetsCallsTakeTurns() throws Exception {
        CallGuard g = new CallGuard("predictor r", true);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ConcurrentCalls.runThreads(t -> {
            for (int i = 0; i < 20; i++) {
                try (CallGuard.Use u = g.enter()) {
                    most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    Thread.sleep(1);
                    inside.decrementAndGet();
                }
            }
        });
        assertEquals(1, most.get());
        assertTrue(g.oneAtATime());
    }
}
