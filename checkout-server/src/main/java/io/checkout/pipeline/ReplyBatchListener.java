package io.checkout.pipeline;

/**
 * A reply context that wants to act once after the replier has answered a batch, rather than once
 * per answer: a stream returning flow-control credit for all the answers of a batch with one
 * call, say. Registered from a {@link ReplyHandler} with {@link CheckoutPipeline#afterReplyBatch}.
 */
public interface ReplyBatchListener {
    /** Called on the replier thread after the last answer of the batch it registered in. */
    void onReplyBatchEnd();
}
