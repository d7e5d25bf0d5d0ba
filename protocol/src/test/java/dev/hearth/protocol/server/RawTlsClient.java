package dev.hearth.protocol.server;

import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.framing.EnvelopeDecoder;
import dev.hearth.protocol.framing.EnvelopeEncoder;
import dev.hearth.protocol.framing.HearthFrameDecoder;
import dev.hearth.protocol.tls.TlsContexts;
import dev.hearth.protocol.wire.Envelope;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.EnumSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/// A misbehaving node for tests: TLS to the server, then whatever bytes or envelopes the test writes.
final class RawTlsClient implements AutoCloseable {
    static final long WAIT_SECONDS = 5;

    private final Channel channel;
    private final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();

    RawTlsClient(EventLoopGroup group, int port, String fingerprintHex) throws Exception {
        var tls = TlsContexts.client(fingerprintHex);
        channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(tls.newHandler(ch.alloc(), "127.0.0.1", port));
                        ch.pipeline().addLast(new HearthFrameDecoder("test", EnumSet.allOf(MessageKind.class)));
                        ch.pipeline().addLast(new EnvelopeDecoder());
                        ch.pipeline().addLast(new EnvelopeEncoder());
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<Envelope>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
                                received.add(msg);
                            }
                        });
                    }
                }).connect("127.0.0.1", port).sync().channel();
        channel.pipeline().get(SslHandler.class).handshakeFuture().sync();
    }

    void send(Envelope envelope) {
        channel.writeAndFlush(envelope).syncUninterruptibly();
    }

    void sendRaw(byte[] bytes) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(bytes)).syncUninterruptibly();
    }

    /// The next envelope from the server, or null after the wait.
    Envelope next() throws InterruptedException {
        return received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    boolean awaitClosed() {
        return channel.closeFuture().awaitUninterruptibly(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
