package io.checkout.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The domain must stay plain Java so that the same engine can run behind the Disruptor on one node
 * and behind a replicated log in a cluster; these rules keep transport, pipeline and storage out.
 */
class ArchitectureTest {
    private static final JavaClasses MAIN_CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.checkout");

    @Test
    void engineShouldNotDependOnGrpcDisruptorOrChronicle() {
        noClasses()
                .that()
                .resideInAPackage("io.checkout.engine..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.grpc..",
                        "com.lmax..",
                        "net.openhft..",
                        "io.aeron..",
                        "com.google.protobuf..",
                        "io.checkout.proto..",
                        "io.checkout.state..",
                        "io.checkout.pipeline..",
                        "io.checkout.server..")
                .check(MAIN_CLASSES);
    }

    @Test
    void engineShouldNotLockOrReadTheClock() {
        noClasses()
                .that()
                .resideInAPackage("io.checkout.engine..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("java.util.concurrent..", "java.time..")
                .orShould()
                .callMethod(System.class, "currentTimeMillis")
                .orShould()
                .callMethod(System.class, "nanoTime")
                .check(MAIN_CLASSES);
    }

    @Test
    void pipelineShouldNotDependOnGrpc() {
        noClasses()
                .that()
                .resideInAPackage("io.checkout.pipeline..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.grpc..", "io.aeron..", "io.checkout.server..", "io.checkout.cluster..")
                .check(MAIN_CLASSES);
    }

    @Test
    void clusterShouldNotDependOnGrpcOrTheServer() {
        noClasses()
                .that()
                .resideInAPackage("io.checkout.cluster..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.grpc..", "io.checkout.server..", "io.checkout.proto..")
                .check(MAIN_CLASSES);
    }
}
