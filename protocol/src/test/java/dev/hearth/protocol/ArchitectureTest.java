package dev.hearth.protocol;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/// The protocol module is the wire contract only: it knows nothing of ML, UI, or the modules built on it.
class ArchitectureTest {
    private static final JavaClasses PROTOCOL = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.hearth.protocol");

    @Test
    void protocolDependsOnNoMlUiOrHigherModule() {
        noClasses().that().resideInAPackage("dev.hearth.protocol..")
                .should().dependOnClassesThat().resideInAnyPackage("org.bytedeco..", "javafx..",
                        "dev.hearth.engine..", "dev.hearth.node..", "dev.hearth.coordinator..", "dev.hearth.desktop..")
                .check(PROTOCOL);
    }

    @Test
    void eachLayerUsesOnlyTheRootAndTheLayersBelowIt() {
        // The order architecture.md gives: wire, framing, identity, tls, session, then server and client side by side.
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("root").definedBy("dev.hearth.protocol")
                .layer("wire").definedBy("dev.hearth.protocol.wire..")
                .layer("framing").definedBy("dev.hearth.protocol.framing..")
                .layer("identity").definedBy("dev.hearth.protocol.identity..")
                .layer("tls").definedBy("dev.hearth.protocol.tls..")
                .layer("session").definedBy("dev.hearth.protocol.session..")
                .layer("server").definedBy("dev.hearth.protocol.server..")
                .layer("client").definedBy("dev.hearth.protocol.client..")
                .whereLayer("framing").mayOnlyBeAccessedByLayers("identity", "tls", "session", "server", "client")
                .whereLayer("identity").mayOnlyBeAccessedByLayers("tls", "session", "server", "client")
                .whereLayer("tls").mayOnlyBeAccessedByLayers("session", "server", "client")
                .whereLayer("session").mayOnlyBeAccessedByLayers("server", "client")
                .whereLayer("server").mayNotBeAccessedByAnyLayer()
                .whereLayer("client").mayNotBeAccessedByAnyLayer()
                .check(PROTOCOL);
    }

    @Test
    void layersAreFreeOfCycles() {
        slices().matching("dev.hearth.(**)").should().beFreeOfCycles()
                .because("each layer (framing, identity, tls, session, server, client) uses only the root and the"
                        + " layers below it (architecture.md, Modules)")
                .check(PROTOCOL);
    }
}
