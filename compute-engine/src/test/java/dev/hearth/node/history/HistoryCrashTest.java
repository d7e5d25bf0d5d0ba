package dev.hearth.node.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.log.EventLog;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/// `kill -9` of a process in the middle of writing rounds: the history opens clean and holds every
/// round the child reported committed, plus at most the one in flight.
class HistoryCrashTest {

    /// Rounds the child must have committed before it is killed: enough to be mid-stream.
    private static final int ROUNDS_BEFORE_KILL = 40;

    @TempDir Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void historySurvivesKillNineOfTheWriter() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), HistoryWriterChild.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        AtomicLong lastCommitted = new AtomicLong(-1);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("committed ")) {
                    long n = Long.parseLong(line.substring("committed ".length()));
                    lastCommitted.set(n);
                    if (n == ROUNDS_BEFORE_KILL) {
                        // SIGKILL on Linux and macOS. Through the handle, unlike Process.destroyForcibly(),
                        // the pipe stays open so the lines printed before death can still be read.
                        child.toHandle().destroyForcibly();
                    }
                }
            }
            // readLine returned null: the child is dead and every line it printed has been read.
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        }
        assertTrue(lastCommitted.get() >= ROUNDS_BEFORE_KILL, "child printed " + lastCommitted.get());

        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(HistoryStore.FILE_NAME));
             var st = c.createStatement(); var rs = st.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            assertEquals("ok", rs.getString(1));
        }
        Clock clock = Clock.systemUTC();
        try (HistoryStore store = HistoryStore.open(dir, clock, new EventLog(clock))) {
            int count = store.roundCount();
            long committed = lastCommitted.get() + 1;
            assertTrue(count == committed || count == committed + 1,
                    "history holds " + count + " rounds; the child reported " + committed + " committed");
            List<Long> numbers = store.rounds(count, 0).stream().map(RoundRecord::round)
                    .sorted(Comparator.naturalOrder()).toList();
            for (int i = 0; i < count; i++) assertEquals(i, numbers.get(i), "rounds are contiguous from 0");
            assertEquals(HistoryStore.CRASH_STOP_REASON, store.sessions(1).getFirst().stopReason());
        }
    }
}
