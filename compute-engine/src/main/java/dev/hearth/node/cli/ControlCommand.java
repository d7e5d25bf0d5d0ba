package dev.hearth.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.node.control.ControlClient;
import dev.hearth.node.control.ControlServer;
import dev.hearth.node.api.Durations;
import dev.hearth.node.settings.DataDirs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/// `./hearth pause | resume | snooze 1h | finish`: one request to the running node's control API
/// (the app's or `hearth node`'s), answered in one line.
final class ControlCommand {

    static final Set<String> VERBS = Set.of("pause", "resume", "snooze", "finish");
    /// Exit status when no Hearth runs with that data dir (distinct from 1 = refused, 2 = bad usage).
    static final int NOT_RUNNING = 3;

    static final String HELP = """
            Usage: ./hearth pause | resume | finish [--data-dir D]
                   ./hearth snooze DURATION [--data-dir D]      e.g. 1h, 30m, 1h30m (1 minute to 7 days)
                   ./hearth status [--json] [--data-dir D]

            Tells the running Hearth (the app or ./hearth node) what to do, over its control API on this
            computer only (loopback, with the token in control.properties in the data folder):
              pause    stop contributing now; the trainer saves its state
              resume   contribute again, following your settings
              snooze   pause for a while, then follow your settings again
              finish   finish the round in progress, upload it, then pause
              status   the state, the reason and your totals (--json: one JSON object for scripts)
            Each answers in one line. Exit status: 0 done, 1 refused, 2 bad usage, 3 Hearth is not running.
            """;

    private ControlCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        String verb = args[0];
        Path dataDir = null;
        Duration snooze = null;
        boolean json = false;
        try {
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "-h", "--help" -> {
                        out.print(HELP);
                        return 0;
                    }
                    case "--data-dir" -> {
                        if (++i >= args.length) throw new IllegalArgumentException("--data-dir needs a value");
                        dataDir = Path.of(args[i]);
                    }
                    case "--json" -> {
                        if (!verb.equals("status")) throw new IllegalArgumentException("--json goes with status");
                        json = true;
                    }
                    default -> {
                        if (verb.equals("snooze") && snooze == null && !args[i].startsWith("-")) {
                            snooze = Durations.parse(args[i]);
                            if (snooze.compareTo(ControlServer.MIN_SNOOZE) < 0 || snooze.compareTo(ControlServer.MAX_SNOOZE) > 0) {
                                throw new IllegalArgumentException("a snooze lasts from 1 minute to 7 days, not " + Durations.words(snooze));
                            }
                        } else {
                            throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                        }
                    }
                }
            }
            if (verb.equals("snooze") && snooze == null) throw new IllegalArgumentException("snooze needs a duration, e.g. ./hearth snooze 1h");
        } catch (IllegalArgumentException e) {
            err.println("hearth " + verb + ": " + e.getMessage());
            err.println("Try ./hearth " + verb + " --help");
            return 2;
        }
        if (dataDir == null) dataDir = DataDirs.userDataDir();
        if (verb.equals("status")) return StatusCommand.print(dataDir, json, out, err);
        try {
            Optional<ControlClient> client = ControlClient.find(dataDir);
            if (client.isEmpty()) {
                out.println("Hearth is not running with data in " + dataDir + " (start it with ./hearth or ./hearth node).");
                return NOT_RUNNING;
            }
            JsonNode answer = client.get().post(verb, snooze);
            out.println(answer.path("line").asText());
            return 0;
        } catch (ControlClient.ControlException e) {
            out.println("Refused: " + e.getMessage());
            return 1;
        } catch (java.net.ConnectException e) {
            out.println("Hearth is not running with data in " + dataDir + " (" + e.getMessage() + ").");
            return NOT_RUNNING;
        } catch (IOException e) {
            out.println("Could not reach Hearth: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
