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

/**
 * {@link CallGuard}: close waits for the call running, frees once, refuses later calls (also those waiting
 * for a slot) and a close from inside a call; at most maxCalls calls run at once.
 */
class CallGuardTest {
    @Test
    void closeWaitsForTheCallInFlightThenFreesOnceAndRefusesLaterCalls() throws Exception {
        CallGuard g = new CallGuard("predictor p", 4);
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
        CallGuard g = new CallGuard("plan q", 1);
        try (CallGuard.Use u = g.enter()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.close(() -> {}));
            assertEquals("cannot close plan q from inside a call to it", e.getMessage());
        }
        assertFalse(g.isClosed());
        g.close(() -> {});
        assertTrue(g.isClosed());
    }

    @Test
    void atMostMaxCallsRunAtOnce() {
        CallGuard g = new CallGuard("predictor r", 2);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ConcurrentCalls.runThreads(t -> {
            for (int i = 0; i < 20; i++) {
                try (CallGuard.Use u = g.enter()) {
                    most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                    Thread.sleep(2);
                    inside.decrementAndGet();
                }
            }
        });
        assertEquals(2, most.get(), "8 threads sleeping in calls: exactly 2 at once");
        assertEquals(2, g.maxCalls());
    }

    @Test
    void callsWaitingForASlotAreRefusedByCloseWhichWaitsOnlyForTheRunningOne() throws Exception {
        CallGuard g = new CallGuard("predictor s", 1);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread first = new Thread(() -> {
            try (CallGuard.Use u = g.enter()) {
                running.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        first.start();
        assertTrue(running.await(5, TimeUnit.SECONDS));
        AtomicInteger refused = new AtomicInteger();
        Thread second = new Thread(() -> {
            try (CallGuard.Use u = g.enter()) {
                throw new AssertionError("a call waiting for its turn ran after close()");
            } catch (IllegalStateException e) {
                if (e.getMessage().equals("predictor s is closed")) refused.incrementAndGet();
            }
        });
        second.start();
        Thread.sleep(50); // second now waits for the slot
        Thread closer = new Thread(() -> g.close(() -> {}));
        closer.start();
        Thread.sleep(50);
        assertTrue(closer.isAlive(), "close() must wait for the running call");
        release.countDown();
        closer.join(5_000);
        second.join(5_000);
        first.join(5_000);
        assertFalse(closer.isAlive());
        assertEquals(1, refused.get());
    }
}
