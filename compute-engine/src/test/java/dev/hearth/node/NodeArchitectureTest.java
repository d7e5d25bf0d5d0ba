package dev.hearth.node;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/// The node runs headless (`hearth node`) and inside the app: it must not reach into UI toolkits or
/// into the modules that sit above it.
class NodeArchitectureTest {

    private static JavaClasses node;

    @BeforeAll
    static void importNode() {
        // The rules only need the names of the classes the node uses, not their class files; resolving
        // them from the classpath (OpenBLAS, OSHI, Flyway...) costs seconds on a busy 2-core machine.
        ArchConfiguration config = ArchConfiguration.get();
        boolean resolve = config.resolveMissingDependenciesFromClassPath();
        config.setResolveMissingDependenciesFromClassPath(false);
        try {
            node = importNodeClasses();
        } finally {
            config.setResolveMissingDependenciesFromClassPath(resolve);
        }
    }

    private static JavaClasses importNodeClasses() {
        // The compiled main classes of this module only: scanning the whole test classpath for the
        // package (tens of MB of dependency jars) is what makes ArchUnit slow.
        URL root = NodeArchitectureTest.class.getClassLoader().getResource("dev/hearth/node/api/NodeService.class");
        Path nodeDir;
        try {
            nodeDir = Path.of(root.toURI()).getParent().getParent(); // .../classes/dev/hearth/node
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return new ClassFileImporter().importPath(nodeDir);
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
                        "com.fasterxml..", "org.bytedeco..", "io.netty..")
                .because("front ends compile against the API only")
                .check(node);
    }
}
