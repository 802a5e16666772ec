package dev.chatrouter.e2e.dashboard;

import org.junit.jupiter.api.Assertions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An npm package at a pinned version, installed once per machine into
 * {@code ~/.cache/chatrouter-e2e/<package>@<version>} (or under {@code $CHATROUTER_E2E_CACHE}): first into a scratch
 * folder renamed into place only when {@code npm install} succeeded, so a half install is never reused. The
 * install is bounded by {@link #INSTALL_TIMEOUT}.
 */
final class NpmPackage {

    static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);

    private NpmPackage() {
    }

    /** The folder holding the package's {@code node_modules}, installing it first when it is not cached. */
    static synchronized Path install(String pkg, String version, Path logDir) {
        Path root = cacheRoot();
        Path dir = root.resolve(pkg.replace('/', '+') + "@" + version);
        if (Files.isRegularFile(dir.resolve(".installed"))) {
            return dir;
        }
        try {
            Files.createDirectories(root);
            Path scratch = Files.createTempDirectory(root, ".installing-");
            Path log = logDir.resolve("npm-install.log");
            Process p = new ProcessBuilder("npm", "install", "--prefix", scratch.toString(), "--no-audit",
                    "--no-fund", "--no-save", "--no-update-notifier", "--loglevel=warn", pkg + "@" + version)
                    .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            boolean done = p.waitFor(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            if (!done || p.exitValue() != 0) {
                deleteTree(scratch);
                Assertions.fail("npm install " + pkg + "@" + version + (done ? " exited " + p.exitValue()
                        : " timed out after " + INSTALL_TIMEOUT) + ":\n" + Files.readString(log));
            }
            Files.writeString(scratch.resolve(".installed"), pkg + "@" + version + "\n");
            if (Files.isRegularFile(dir.resolve(".installed"))) {
                deleteTree(scratch); // another JVM won the race
                return dir;
            }
            deleteTree(dir);
            try {
                Files.move(scratch, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(scratch, dir);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("installing " + pkg + "@" + version + " under " + root, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code tool --version} runs and exits 0 within 30 s. */
    static boolean runs(String tool) {
        try {
            Process p = new ProcessBuilder(List.of(tool, "--version")).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
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
