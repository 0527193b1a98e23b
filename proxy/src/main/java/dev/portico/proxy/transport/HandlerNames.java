package dev.portico.proxy.transport;

import java.util.List;

/** Names of the handlers Portico puts in a pipeline, so that they can be found and removed again. */
public final class HandlerNames {
    public static final String HTTP1_MARK = "http1-mark";
    public static final String FLOW_CONTROL = "flow-control";
    public static final String REQUEST_TIMEOUTS = "request-timeouts";
    public static final String EXPECT_CONTINUE = "expect-continue";
    public static final String KEEP_ALIVE = "keep-alive";
    public static final String HTTP1_DRAIN = "http1-drain";
    public static final String EXCHANGE = "exchange";
    public static final String WEBSOCKET_UPGRADE = "websocket-upgrade";
    public static final String WEBSOCKET = "websocket";
    public static final String CORS = "cors";
    public static final String DEMO_PAGE = "demo-page";
    public static final String PROXY_CALL = "proxy-call";

    /** The handlers of an HTTP/1.1 connection that must go when the connection turns out to be HTTP/2. */
    static final List<String> HTTP1_ONLY =
            List.of(HTTP1_MARK, FLOW_CONTROL, REQUEST_TIMEOUTS, EXPECT_CONTINUE, KEEP_ALIVE, HTTP1_DRAIN, EXCHANGE,
                    WEBSOCKET_UPGRADE, CORS, DEMO_PAGE, PROXY_CALL);

    private HandlerNames() {}
}
