import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The floor of one proxy hop on Netty alone, for run.sh's {@code netty-raw} row: the server jar's Netty (epoll, one
 * event loop per core) with its HTTP/1.1 server codec in front, reading each request whole, and its client codec
 * behind, posting the body to the mock upstream on a keep-alive connection taken from its event loop's own list of
 * idle ones, then relaying the answer's status, type, length and body part by part as they come (a stream stays a
 * stream). No Vert.x, no routing, no JSON: beside {@code BareProxy.java} it shows what Vert.x's HTTP layer costs
 * beyond Netty's. Run it from source with the server jar on the class path:
 * {@code java -cp chatrouter-server.jar RawNettyProxy.java LISTEN_PORT UPSTREAM_PORT}.
 */
public class RawNettyProxy {
    /** What an upstream connection does with each part of the answer it reads: relay it to the waiting client. */
    static final AttributeKey<Consumer<HttpObject>> WAITER = AttributeKey.valueOf("waiter");
    /** Each event loop's idle upstream connections; only that loop touches its list. */
    static final Map<EventLoop, ArrayDeque<Channel>> IDLE = new IdentityHashMap<>();
    static Bootstrap client;
    static int upstream;

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        upstream = Integer.parseInt(args[1]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                EpollIoHandler.newFactory());
        group.forEach(e -> IDLE.put((EventLoop) e, new ArrayDeque<>()));
        client = new Bootstrap().channel(EpollSocketChannel.class).option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(),
                                new SimpleChannelInboundHandler<HttpObject>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, HttpObject part) {
                                        Consumer<HttpObject> w = ctx.channel().attr(WAITER).get();
                                        if (part instanceof LastHttpContent) {
                                            ctx.channel().attr(WAITER).set(null);
                                            IDLE.get(ctx.channel().eventLoop()).push(ctx.channel());
                                        }
                                        w.accept(part);
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        IDLE.get(ctx.channel().eventLoop()).remove(ctx.channel());
                                    }
                                });
                    }
                });
        new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 24),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        proxy(ctx, req);
                                    }
                                });
                    }
                }).bind(port).sync();
        System.out.println("raw Netty proxy on " + port);
    }

    static void proxy(ChannelHandlerContext ctx, FullHttpRequest req) {
        ByteBuf body = req.content().retain();
        String uri = req.uri();
        EventLoop loop = ctx.channel().eventLoop();
        Channel idle = IDLE.get(loop).poll();
        if (idle != null && idle.isActive()) {
            send(idle, ctx, uri, body);
        } else {
            client.clone(loop).connect("127.0.0.1", upstream).addListener(f -> {
                if (f.isSuccess()) {
                    send(((ChannelFuture) f).channel(), ctx, uri, body);
                } else {
                    body.release();
                    DefaultFullHttpResponse failed = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.BAD_GATEWAY);
                    failed.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                    ctx.writeAndFlush(failed);
                }
            });
        }
    }

    static void send(Channel up, ChannelHandlerContext ctx, String uri, ByteBuf body) {
        DefaultFullHttpRequest out = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri, body);
        out.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + upstream)
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        up.attr(WAITER).set(part -> {
            if (part instanceof HttpResponse res) {
                DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, res.status());
                String type = res.headers().get(HttpHeaderNames.CONTENT_TYPE);
                if (type != null) {
                    head.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
                }
                String length = res.headers().get(HttpHeaderNames.CONTENT_LENGTH);
                if (length != null) {
                    head.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
                } else {
                    head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                }
                ctx.write(head);
            }
            if (part instanceof HttpContent chunk) {
                ctx.writeAndFlush(chunk.retain());
            }
        });
        up.writeAndFlush(out);
    }
}
