package dev.hearth.protocol;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
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
    void layersAreFreeOfCycles() {
        slices().matching("dev.hearth.(**)").should().beFreeOfCycles()
                .because("each layer (framing, identity, tls, session, server, client) uses only the root and the"
                        + " layers below it (architecture.md, Modules)")
                .check(PROTOCOL);
    }
}
