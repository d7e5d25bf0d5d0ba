package dev.hearth.protocol;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

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
}
