package dev.chatrouter.core;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.core.cache.ResponseCache;
import dev.chatrouter.core.engine.Prepared;

/** What preparing a request gives: a plan to dispatch, an answer from the response cache, or the error to answer. */
sealed interface Preparation {

    /** Classified and planned: the attempt engine takes it from here. */
    record Planned(Prepared prepared) implements Preparation {
    }

    /** The response cache holds the answer: nothing is dispatched or charged. */
    record Cached(ResponseCache.Entry entry, RoutingReport report) implements Preparation {
    }

    /** The request cannot go on; the error names the request (and its type, once classified). */
    record Failed(ChatRouterException error) implements Preparation {
    }
}
