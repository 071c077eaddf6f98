package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.checkout.pipeline.ReplyBatchListener;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LoopAnswersTest {
    /** An event loop stand-in that holds its tasks until the test runs them. */
    private static final class HeldTasks implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();
        boolean refuse;

        @Override
        public void execute(Runnable task) {
            if (refuse) {
                throw new RejectedExecutionException("event loop shut down");
            }
            tasks.add(task);
        }

        void runAll() {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
        }
    }

    /** Records what a call's observer was told, in order. */
    private static final class Call implements StreamObserver<Object> {
        final List<String> seen = new ArrayList<>();
        final String failWith;

        Call() {
            this(null);
        }

        Call(String failWith) {
            this.failWith = failWith;
        }

        @Override
        public void onNext(Object value) {
            if (failWith != null) {
                throw new IllegalStateException(failWith);
            }
            seen.add("next " + value);
        }

        @Override
        public void onError(Throwable t) {
            seen.add("error " + Status.fromThrowable(t).getCode());
        }

        @Override
        public void onCompleted() {
            seen.add("completed");
        }
    }

    private final HeldTasks loop = new HeldTasks();
    private final List<ReplyBatchListener> registered = new ArrayList<>();
    private final LoopAnswers answers = new LoopAnswers(loop, registered::add);

    /** What the replier does at the end of a batch: tells every listener registered in it, once. */
    private void endBatch() {
        List<ReplyBatchListener> listeners = new ArrayList<>(registered);
        registered.clear();
        listeners.forEach(ReplyBatchListener::onReplyBatchEnd);
    }

    @Test
    void aBatchsAnswersShouldBeWrittenByTheLoopInOneTaskAtTheBatchsEndInOrder() {
        Call first = new Call();
        Call refused = new Call();
        Call last = new Call();

        answers.add(first, "reply-1");
        answers.add(refused, new StatusRuntimeException(Status.FAILED_PRECONDITION));
        answers.add(last, "reply-3");

        assertThat(registered).as("registered once for the batch").containsExactly(answers);
        assertThat(loop.tasks).as("nothing handed over before the batch ends").isEmpty();
        endBatch();
        assertThat(loop.tasks).hasSize(1);
        assertThat(first.seen).as("written by the loop, not by the replier").isEmpty();

        loop.runAll();

        assertThat(first.seen).containsExactly("next reply-1", "completed");
        assertThat(refused.seen).containsExactly("error FAILED_PRECONDITION");
        assertThat(last.seen).containsExactly("next reply-3", "completed");
    }

    @Test
    void eachBatchShouldRegisterAgainAndHandOverOnlyItsOwnAnswers() {
        Call a = new Call();
        Call b = new Call();

        answers.add(a, "a");
        endBatch();
        answers.add(b, "b");
        assertThat(registered).containsExactly(answers);
        endBatch();

        assertThat(loop.tasks).hasSize(2);
        loop.runAll();
        assertThat(a.seen).containsExactly("next a", "completed");
        assertThat(b.seen).containsExactly("next b", "completed");
    }

    @Test
    void aBatchLargerThanTheFirstArrayShouldBeAnsweredWhole() {
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            Call call = new Call();
            calls.add(call);
            answers.add(call, i);
        }
        endBatch();
        loop.runAll();

        for (int i = 0; i < calls.size(); i++) {
            assertThat(calls.get(i).seen).containsExactly("next " + i, "completed");
        }
    }

    @Test
    void aCallWhoseObserverThrowsShouldNotKeepTheOthersFromTheirAnswers() {
        Call broken = new Call("call already cancelled");
        Call after = new Call();

        answers.add(broken, "x");
        answers.add(after, "y");
        endBatch();

        assertThatCode(loop::runAll).doesNotThrowAnyException();
        assertThat(after.seen).containsExactly("next y", "completed");
    }

    @Test
    void aLoopThatRefusesTheTaskShouldNotFailTheReplierNorTheNextBatch() {
        loop.refuse = true;
        answers.add(new Call(), "lost with its loop");

        assertThatCode(this::endBatch).doesNotThrowAnyException();

        loop.refuse = false;
        Call next = new Call();
        answers.add(next, "next batch");
        endBatch();
        loop.runAll();
        assertThat(next.seen).containsExactly("next next batch", "completed");
    }

    @Test
    void theCurrentEventLoopShouldBeFoundOnANettyLoopOfGrpcsNettyAndNowhereElse() throws Exception {
        assertThat(LoopAnswers.currentEventLoop()).as("a plain thread").isNull();
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
        try {
            EventLoop eventLoop = group.next();
            Executor seen = eventLoop.submit(LoopAnswers::currentEventLoop).get(10, TimeUnit.SECONDS);
            assertThat(seen).isSameAs(eventLoop);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
    }
}
