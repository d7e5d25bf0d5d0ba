package dev.hearth.coordinator.dashboard;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/// Turns requests into {@link DashboardRoutes} calls. Read-only: GET and HEAD, anything else 405.
final class DashboardHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    /// The page may load scripts only from this server (the ECharts webjar and our own script), nothing inline.
    static final String CONTENT_SECURITY_POLICY =
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                    + "connect-src 'self'; frame-ancestors 'none'";

    private final DashboardRoutes routes;
    private final Executor io;

    /// @param io where routes run (they may block); responses are written back through the channel, which
    ///           hands them to its event loop
    DashboardHandler(DashboardRoutes routes, Executor io) {
        this.routes = routes;
        this.io = io;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            send(ctx, DashboardRoutes.Response.text(400, "bad request\n"), false, false);
            return;
        }
        HttpMethod method = req.method();
        boolean head = HttpMethod.HEAD.equals(method);
        if (!head && !HttpMethod.GET.equals(method)) {
            var response = DashboardRoutes.Response.text(405, "the dashboard is read-only: only GET and HEAD\n");
            send(ctx, response, keepAlive, false);
            return;
        }
        String path = new QueryStringDecoder(req.uri()).path();
        try {
            io.execute(() -> {
                DashboardRoutes.Response response;
                try {
                    response = routes.get(path);
                } catch (RuntimeException e) {
                    response = DashboardRoutes.Response.text(500, "dashboard error: " + e.getMessage() + "\n");
                }
                send(ctx, response, keepAlive, head);
            });
        } catch (RejectedExecutionException e) {
            send(ctx, DashboardRoutes.Response.text(503, "the dashboard is shutting down\n"), false, false);
        }
    }

    private static void send(ChannelHandlerContext ctx, DashboardRoutes.Response r, boolean keepAlive, boolean head) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()));
        var h = res.headers();
        h.set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        h.set(HttpHeaderNames.CACHE_CONTROL, r.cacheable() ? "public, max-age=86400" : "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        h.set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
        if (r.status() == 405) {
            h.set(HttpHeaderNames.ALLOW, "GET, HEAD");
        }
        if (keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(res);
        } else {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A read timeout or a browser that went away is routine; in every case this connection is over
        // (a half-written response cannot be replaced by an error page).
        ctx.close();
    }
}
