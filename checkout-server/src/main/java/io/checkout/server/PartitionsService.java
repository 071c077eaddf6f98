package io.checkout.server;

import io.checkout.proto.v1.GetPartitionMapRequest;
import io.checkout.proto.v1.PartitionMap;
import io.checkout.proto.v1.PartitionsGrpc;
import io.grpc.stub.StreamObserver;

/** Serves the partition map in force, from any server, while recovering too (it needs no state). */
final class PartitionsService extends PartitionsGrpc.PartitionsImplBase {
    private final PartitionGuard partitions;

    PartitionsService(PartitionGuard partitions) {
        this.partitions = partitions;
    }

    @Override
    public void getPartitionMap(GetPartitionMapRequest request, StreamObserver<PartitionMap> observer) {
        observer.onNext(partitions.table().map());
        observer.onCompleted();
    }
}
