package dev.hearth.desktop;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/// The desktop app's "no" column (STYLE.md): view models are plain Java, only the app class hops threads,
/// and the app talks to the node through its API only, never its implementation or the engine.
class DesktopArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.hearth.desktop");
    }

    @Test
    void viewModelsHoldNoNodesOrStages() {
        noClasses().that().resideInAPackage("..desktop.viewmodel..")
                .should().dependOnClassesThat().resideInAnyPackage("javafx.scene..", "javafx.stage..", "javafx.application..",
                        "dev.hearth.desktop.view..", "java.awt..")
                .check(classes);
    }

    @Test
    void onlyTheAppAndViewsTouchTheFxApplicationThread() {
        noClasses().that().resideOutsideOfPackages("..desktop.view..").and().doNotHaveFullyQualifiedName(HearthApp.class.getName())
                .should().dependOnClassesThat().haveFullyQualifiedName("javafx.application.Platform")
                .check(classes);
    }

    @Test
    void talksToTheNodeOnlyThroughItsApi() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("dev.hearth.engine..", "dev.hearth.protocol..", "dev.hearth.coordinator..")
                .orShould().dependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe("node implementation classes",
                        c -> c.getPackageName().startsWith("dev.hearth.node") && !c.getPackageName().equals("dev.hearth.node.api")))
                .check(classes);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("dev.hearth.(**)").should().beFreeOfCycles()
                .because("each idea has one home: a package that needs another's type sits above it, never beside it")
                .check(classes);
    }
}
