package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.desktop.os.Autostart;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 16 item 2 on the real node: a well-formed address where nothing answers does not drop the local run; the
/// settings screen says why in one sentence, with when it tries again, and the owner can stop the switch.
class RunSwitchTest {

    static final String FINGERPRINT = "#sha256=" + "ab".repeat(32);

    /// A loopback port nothing listens on (bound, then released).
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /// Until the session names the local run (a condition with a deadline, not a timed guess).
    static void waitForLocalRun(NodeRuntime node) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!"local run".equals(node.settledSnapshot().coordinator())) {
            assertTrue(System.nanoTime() < deadline, "the local run did not start in 60 s: " + node.snapshot());
            Thread.sleep(50);
        }
    }

    @Test
    void anUnreachableRunKeepsTheLocalRunGoingAndSaysWhyInOneSentence(@TempDir Path dir) throws Exception {
        try (NodeRuntime node = NodeRuntime.start(dir, Clock.systemUTC(), true, log -> new AwayOwnerProbes("test machine"))) {
            node.joinConfiguredRun();
            waitForLocalRun(node); // starting the local run takes seconds on a busy machine
            var statuses = new LinkedBlockingQueue<String>();
            var vm = new SettingsViewModel(node, BackgroundTasks.sameThread(),
                    new Autostart(dir.resolve("autostart"), List.of("/opt/hearth/bin/Hearth")));
            vm.statusProperty().addListener((o, was, now) -> statuses.add(now));
            int port = closedPort();
            String unreachable = "hearth://127.0.0.1:" + port + FINGERPRINT;

            vm.setRunAddress(unreachable);
            assertTrue(vm.runSwitchQuestionProperty().get().startsWith("Leave the local run and join the run at 127.0.0.1:"
                    + port + "?"), vm.runSwitchQuestionProperty().get());
            vm.confirmRunSwitch();

            String sentence = "";
            while (!sentence.contains("does not answer yet")) {
                String next = statuses.poll(30, TimeUnit.SECONDS);
                assertTrue(next != null, "no word about the new run in 30 s");
                sentence = next;
            }
            assertEquals("127.0.0.1:" + port + " does not answer yet (connection refused); trying again in 1 s."
                    + " Still contributing to the local run.", sentence.replaceAll("in \\d+ s", "in 1 s"));
            assertFalse(sentence.contains("\n") || sentence.contains("Exception") || sentence.contains("sha256"), sentence);
            assertEquals("local", node.settings().runAddress(), "the local run is still the one saved");
            assertEquals("local run", node.settledSnapshot().coordinator(), "the session is still on the local run");
            assertTrue(vm.switchPendingProperty().get());

            vm.cancelRunSwitch();
            assertEquals("Not switched: staying on the local run.", vm.statusProperty().get());
            assertFalse(vm.switchPendingProperty().get());
            assertEquals("local", node.settings().runAddress());
        }
    }
}
