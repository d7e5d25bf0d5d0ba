package dev.hearth.node;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/// The node runs headless (`hearth node`) and inside the app: it must not reach into UI toolkits or
/// into the modules that sit above it.
class NodeArchitectureTest {

    private static JavaClasses node;

    @BeforeAll
    static void importNode() {
        node = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("dev.hearth.node");
    }

    @Test
    void nodeDoesNotUseJavaFx() {
        noClasses().that().resideInAPackage("dev.hearth.node..")
                .should().dependOnClassesThat().resideInAnyPackage("javafx..", "java.awt..", "javax.swing..")
                .because("the node runs headless; the desktop app adapts its snapshots to the FX thread")
                .check(node);
    }

    @Test
    void nodeDoesNotDependOnTheAppOrTheCoordinator() {
        noClasses().that().resideInAPackage("dev.hearth.node..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.hearth.desktop..", "dev.hearth.coordinator..")
                .because("the app depends on the node, never the reverse; the node talks to coordinators only over the protocol")
                .check(node);
    }

    @Test
    void idlePolicyStaysPure() {
        noClasses().that().resideInAPackage("dev.hearth.node.policy..")
                .should().dependOnClassesThat().resideInAnyPackage("com.sun.jna..", "oshi..", "java.sql..", "java.io..", "java.nio.file..")
                .because("the policy is a function of readings and a clock; probes do the I/O")
                .check(node);
    }

    @Test
    void apiStaysFreeOfImplementationLibraries() {
        noClasses().that().resideInAPackage("dev.hearth.node.api..")
                .should().dependOnClassesThat().resideInAnyPackage("com.sun.jna..", "oshi..", "org.flywaydb..", "org.sqlite..",
                        "com.fasterxml..", "org.nd4j..", "io.netty..")
                .because("front ends compile against the API only")
                .check(node);
    }
}
