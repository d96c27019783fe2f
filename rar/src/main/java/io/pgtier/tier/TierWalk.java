package io.pgtier.tier;

import io.pgtier.api.Purpose;
import io.pgtier.api.Role;
import io.pgtier.api.TierId;
import io.pgtier.tier.TierAttempt.Outcome;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The connect loop: creates one physical connection on the first tier that can give one.
 *
 * <p>For each candidate from the {@link TierSelector}, in order: ask the breaker for a permit, take
 * a slot of the cap, connect, then ask the server its role. Anything that stops the tier is
 * recorded as a {@link TierAttempt} and the walk moves on; if no tier succeeds, a
 * {@link NoTierAvailableException} lists every configured tier, tried or not.
 *
 * <p>Invariants, whatever happens (including a {@code RuntimeException} from the connector,
 * which is a bug and propagates rather than being mistaken for a tier failure):
 * <ul>
 *   <li>every breaker permit ends in exactly one success, failure or release;</li>
 *   <li>every cap slot is released unless it is handed out inside {@link Acquired};</li>
 *   <li>every connection opened but not handed out is discarded.</li>
 * </ul>
 *
 * <p>A server with the wrong role (a standby reached by READ_WRITE, typically just after a
 * switchover the monitor has not seen yet) counts as a <em>success</em> for the breaker: the server
 * answered, which is what the breaker judges. Its role is recorded so the next walk skips it.
 *
 * <p>There is no retry or back-off here: Payara calls again for the next request, and the
 * breaker is what keeps repeated calls from hammering a failing tier.
 */
public final class TierWalk {

    private final TierSelector selector;
    private final LongSupplier nanoClock;

    public TierWalk(TierSelector selector, LongSupplier nanoClock) {
        this.selector = Objects.requireNonNull(selector, "selector");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    public TierSelector selector() {
        return selector;
    }

    public <C> Acquired<C> acquire(Purpose purpose, Connector<C> connector, String poolName)
            throws NoTierAvailableException {
        long start = nanoClock.getAsLong();
        TierSelector.Selection selection = selector.select(purpose);
        List<TierAttempt> attempts = new ArrayList<>();
        for (Map.Entry<TierId, String> e : selection.excluded().entrySet()) {
            attempts.add(TierAttempt.skipped(e.getKey(), Outcome.EXCLUDED, e.getValue()));
        }
        for (Tier tier : selection.candidates()) {
            Acquired<C> acquired = tryTier(tier, purpose, connector, attempts);
            if (acquired != null) {
                return acquired;
            }
        }
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - start);
        throw new NoTierAvailableException(poolName, purpose, elapsedMillis, attempts);
    }

    /** One tier's turn; returns {@code null} after adding to {@code attempts} when it cannot serve. */
    private <C> Acquired<C> tryTier(Tier tier, Purpose purpose, Connector<C> connector,
            List<TierAttempt> attempts) {
        Breaker breaker = tier.breaker();
        if (!breaker.tryAcquirePermission()) {
            attempts.add(TierAttempt.skipped(tier.id(), Outcome.BREAKER_REFUSED,
                    Messages.refused(breaker.refusal(), tier.lastFailure())));
            return null;
        }
        if (!tier.tryReserve()) {
            breaker.releasePermission();
            attempts.add(TierAttempt.skipped(tier.id(), Outcome.CAP_FULL,
                    Messages.capFull(tier.openConnections(), tier.endpoint().maxConnections())));
            return null;
        }
        long generation = tier.generation();
        C connection = null;
        boolean handedOut = false;
        boolean judged = false;
        try {
            connection = connector.connect(tier);
            Role role = connector.roleOf(connection);
            if (!purpose.canUse(role)) {
                tier.recordRole(role);
                breaker.onSuccess();
                judged = true;
                attempts.add(TierAttempt.skipped(tier.id(), Outcome.WRONG_ROLE,
                        Messages.wrongRole(role, purpose)));
                return null;
            }
            tier.recordAcquired(role);
            judged = true;
            handedOut = true;
            return new Acquired<>(connection, tier, generation);
        } catch (SQLException e) {
            TierAttempt failed = TierAttempt.failed(tier.id(), e);
            tier.recordFailure(failed.reason());
            judged = true;
            attempts.add(failed);
            return null;
        } finally {
            if (!judged) {
                breaker.releasePermission();
            }
            if (!handedOut) {
                abandon(tier, connector, connection);
            }
        }
    }

    private static <C> void abandon(Tier tier, Connector<C> connector, C connection) {
        try {
            if (connection != null) {
                connector.discard(connection);
            }
        } finally {
            tier.release();
        }
    }
}
