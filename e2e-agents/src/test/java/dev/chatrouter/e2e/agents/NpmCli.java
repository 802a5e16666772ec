package dev.chatrouter.e2e.agents;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A CLI installed from the npm registry at a pinned version, once per machine: into
 * {@code ~/.cache/chatrouter-e2e/<package>@<version>} (or under {@code $CHATROUTER_E2E_CACHE}), first into a scratch
 * folder that is renamed into place only when {@code npm install} succeeded, so a half install is never reused.
 *
 * <p>Without node and npm on the PATH the calling test is skipped with a message, unless {@code CI} is set: then it
 * fails, so that CI cannot go green by running nothing.
 */
final class NpmCli {

    static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);

    private NpmCli() {
    }

    /** The package's folder (holding {@code node_modules}), installing it first when it is not cached yet. */
    static synchronized Path install(String pkg, String version, Path logDir) {
        requireNode();
        Path root = cacheRoot();
        Path dir = root.resolve(pkg.replace('/', '+') + "@" + version);
        Path done = dir.resolve(".installed");
        if (Files.isRegularFile(done)) {
            return dir;
        }
        try {
            Files.createDirectories(root);
            Path scratch = Files.createTempDirectory(root, ".installing-");
            ProcessRun run = ProcessRun.start(List.of("npm", "install", "--prefix", scratch.toString(), "--no-audit",
                            "--no-fund", "--no-save", "--no-update-notifier", "--loglevel=warn", pkg + "@" + version),
                    root, Map.of(), true, logDir.resolve("npm-install-" + pkg.replace('/', '+')), INSTALL_TIMEOUT);
            if (run.timedOut() || run.exitCode() != 0) {
                deleteTree(scratch);
                Assertions.fail("npm install " + pkg + "@" + version + (run.timedOut() ? " timed out after "
                        + INSTALL_TIMEOUT : " exited " + run.exitCode()) + ":\n" + run.stdout() + run.stderr());
            }
            Files.writeString(scratch.resolve(".installed"), pkg + "@" + version + "\n");
            if (Files.isRegularFile(done)) {
                deleteTree(scratch);   // another JVM won the race
                return dir;
            }
            deleteTree(dir);           // a leftover without .installed
            try {
                Files.move(scratch, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(scratch, dir);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("installing " + pkg + "@" + version + " under " + root, e);
        }
    }

    /** Skips the test without node and npm, or fails it when {@code CI} is set. */
    static void requireNode() {
        for (String tool : List.of("node", "npm")) {
            String why = null;
            try {
                ProcessRun run = ProcessRun.start(List.of(tool, "--version"), Path.of("."), Map.of(), true, null,
                        Duration.ofSeconds(30));
                if (run.timedOut() || run.exitCode() != 0) {
                    why = tool + " --version failed: " + run.stderr();
                }
            } catch (UncheckedIOException e) {
                why = tool + " is not on the PATH (" + e.getCause().getMessage() + ")";
            }
            if (why != null) {
                String message = "the agent end-to-end tests need node and npm: " + why;
                if (System.getenv("CI") != null) {
                    Assertions.fail(message + " (CI is set, so this is a failure, not a skip)");
                }
                Assumptions.abort(message + "; skipping (install Node.js 20+ to run them)");
            }
        }
    }

    static Path cacheRoot() {
        String env = System.getenv("CHATROUTER_E2E_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "chatrouter-e2e");
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
