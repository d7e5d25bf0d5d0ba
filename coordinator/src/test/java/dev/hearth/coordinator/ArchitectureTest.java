package dev.hearth.coordinator;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import dev.hearth.node.LocalRunProvider;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/// The coordinator is a server: no UI toolkit, no desktop code (DESIGN.md, "Parts and where they live").
class ArchitectureTest {

    private static final JavaClasses COORDINATOR = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS) // scanning the dependency jars costs seconds
            .importPackages("dev.hearth.coordinator");

    @Test
    void coordinatorDoesNotDependOnJavaFx() {
        noClasses().that().resideInAPackage("dev.hearth.coordinator..")
                .should().dependOnClassesThat().resideInAnyPackage("javafx..")
                .check(COORDINATOR);
    }

    @Test
    void coordinatorDoesNotDependOnTheDesktopApp() {
        noClasses().that().resideInAPackage("dev.hearth.coordinator..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.hearth.desktop..")
                .check(COORDINATOR);
    }

    @Test
    void coordinatorDoesNotDependOnTheNodeHost() {
        noClasses().that().resideInAPackage("dev.hearth.coordinator..")
                .should().dependOnClassesThat(JavaClass.Predicates.resideInAnyPackage("dev.hearth.node..")
                        .and(DescribedPredicate.not(JavaClass.Predicates.belongToAnyOf(LocalRunProvider.class, LocalRunProvider.LocalRun.class))))
                .because("the coordinator uses the engine's model and codec only (DESIGN.md); it implements the node's"
                        + " LocalRunProvider SPI for the embedded local run and nothing else of the node")
                .check(COORDINATOR);
    }

    @Test
    void theRunStateMachineStaysPure() {
        noClasses().that().resideInAPackage("dev.hearth.coordinator.run..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty..", "java.sql..", "java.net..",
                        "dev.hearth.coordinator.ledger..", "dev.hearth.coordinator.dashboard..")
                .check(COORDINATOR);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("dev.hearth.(**)").should().beFreeOfCycles()
                .because("each idea has one home: a package that needs another's type sits above it, never beside it")
                .check(COORDINATOR);
    }
}
