package dev.chatrouter.api.spi;

import dev.chatrouter.api.config.AccountingConfig;

import java.time.Clock;

/**
 * Opens an {@link AccountingStore} of one type, named by {@code accounting.store} in the configuration. The router
 * knows {@code memory} and {@code durable} itself; other stores (such as {@code redis} in the module
 * {@code router-store-redis}) are found by {@link java.util.ServiceLoader}. The router closes the stores it opened.
 */
public interface AccountingStoreFactory {

    /** The value of {@code accounting.store} that names this store, such as {@code redis}. */
    String type();

    /**
     * Opens the store.
     *
     * @param config the {@code accounting} section
     * @param clock  the router's clock
     * @throws IllegalArgumentException    when the section is wrong for this store (the message says which key)
     * @throws AccountingStore.Unavailable when the store cannot be reached
     */
    AccountingStore open(AccountingConfig config, Clock clock);
}
