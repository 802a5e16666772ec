package dev.chatrouter.e2e.agents;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One child process run to its end or to a deadline: stdin is empty, stdout and stderr go to files (so a chatty
 * child never blocks on a full pipe), and on the deadline the process and all its descendants are killed.
 *
 * @param exitCode -1 when it timed out
 */
record ProcessRun(int exitCode, boolean timedOut, String stdout, String stderr, Duration took) {

    /**
     * @param inheritEnv false: the child sees only {@code PATH} and {@code env} (a clean environment, so no key or
     *                   setting of the developer's leaks into the agent under test)
     * @param logBase    where {@code .stdout} and {@code .stderr} are written; null: a temporary file
     */
    static ProcessRun start(List<String> command, Path cwd, Map<String, String> env, boolean inheritEnv, Path logBase,
                            Duration timeout) {
        try {
            Path out;
            Path err;
            if (logBase == null) {
                out = Files.createTempFile("e2e-", ".stdout");
                err = Files.createTempFile("e2e-", ".stderr");
            } else {
                Files.createDirectories(logBase.toAbsolutePath().getParent());
                out = Path.of(logBase + ".stdout");
                err = Path.of(logBase + ".stderr");
            }
            ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
            if (!inheritEnv) {
                String path = System.getenv("PATH");
                pb.environment().clear();
                pb.environment().put("PATH", path == null ? "/usr/local/bin:/usr/bin:/bin" : path);
            }
            pb.environment().putAll(env);
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.redirectOutput(out.toFile());
            pb.redirectError(err.toFile());
            long t0 = System.nanoTime();
            Process p = pb.start();
            boolean finished;
            try {
                finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                finished = false;
            }
            if (!finished) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            if (logBase == null) {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
            return new ProcessRun(finished ? p.exitValue() : -1, !finished, stdout, stderr, took);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        }
    }

    /** For assertion messages. */
    String describe() {
        return (timedOut ? "timed out" : "exit " + exitCode) + " after " + took.toMillis() + " ms\n--- stdout ---\n"
                + tail(stdout) + "\n--- stderr ---\n" + tail(stderr);
    }

    private static String tail(String s) {
        return s.length() <= 6000 ? s : "…" + s.substring(s.length() - 6000);
    }
}
