import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;

/**
 * The floor of one proxy hop on ChatRouter's own HTTP stack, for run.sh's {@code vertx-bare} row: a Vert.x server
 * (epoll, one verticle per core) that reads each request's body whole, posts it to the mock upstream on a pooled
 * keep-alive connection, and relays the upstream's answer back as it comes (a stream chunk by chunk). No routing,
 * no JSON, no listeners: what ChatRouter's server costs beyond this row is its own work. Run it from source with the server jar on the class path:
 * {@code java -cp chatrouter-server.jar BareProxy.java LISTEN_PORT UPSTREAM_PORT}.
 */
public class BareProxy {
    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        int upstream = Integer.parseInt(args[1]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        DeploymentOptions instances = new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors());
        vertx.deployVerticle(() -> new VerticleBase() {
            @Override
            public Future<?> start() {
                HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                        .setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(64));
                return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)).requestHandler(req ->
                        req.body().onSuccess(body -> client.request(HttpMethod.POST, upstream, "127.0.0.1", req.uri())
                                .compose(call -> call.putHeader("content-type", "application/json").send(body))
                                .onSuccess(answer -> relay(answer, req.response()))
                                .onFailure(e -> req.response().setStatusCode(502).end()))).listen(port);
            }
        }, instances).onSuccess(id -> System.out.println("bare Vert.x proxy on " + port + " (epoll: "
                + vertx.isNativeTransportEnabled() + ")")).onFailure(e -> {
                    e.printStackTrace();
                    System.exit(1);
                });
    }

    /** The upstream's status, type and body as they come (a stream stays a stream). */
    private static void relay(HttpClientResponse answer, HttpServerResponse out) {
        out.setStatusCode(answer.statusCode());
        String type = answer.getHeader("content-type");
        if (type != null) {
            out.putHeader("content-type", type);
        }
        String length = answer.getHeader("content-length");
        if (length != null) {
            out.putHeader("content-length", length);
        } else {
            out.setChunked(true);
        }
        answer.pipeTo(out);
    }
}
