package io.checkout.engine;

/**
 * What SET_USER_BLOCKED, GET_USER_RISK, SET_RISK_RULES and GET_RISK_RULES answer: a user as the
 * risk rules see them, or the rules and the fill of their tables. Filled by the engine.
 */
public final class RiskAnswer {
    /** An answer with nothing in it, for commands that have none. */
    public static final RiskAnswer NONE = new RiskAnswer();

    public boolean userBlocked;
    public int userAttempts;
    public long windowEndsAtEpochMillis;

    public int maxAttempts;
    public long windowMillis;
    public long blockedUsers;
    public long blocklistCapacity;
    public long countedUsers;
    public long attemptCounterCapacity;

    void clear() {
        userBlocked = false;
        userAttempts = 0;
        windowEndsAtEpochMillis = 0;
        maxAttempts = 0;
        windowMillis = 0;
        blockedUsers = 0;
        blocklistCapacity = 0;
        countedUsers = 0;
        attemptCounterCapacity = 0;
    }

    void copyFrom(RiskAnswer other) {
        userBlocked = other.userBlocked;
        userAttempts = other.userAttempts;
        windowEndsAtEpochMillis = other.windowEndsAtEpochMillis;
        maxAttempts = other.maxAttempts;
        windowMillis = other.windowMillis;
        blockedUsers = other.blockedUsers;
        blocklistCapacity = other.blocklistCapacity;
        countedUsers = other.countedUsers;
        attemptCounterCapacity = other.attemptCounterCapacity;
    }
}
