package dev.hearth.engine;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.hearth.engine.model.ModelConfig;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/// The compute-engine module as a whole: the ML code (`dev.hearth.engine`) knows nothing of the network, the UI
/// or the node that hosts it, and no two packages of the module (engine or node) depend on each other in a circle.
class EngineArchitectureTest {

    /// Fewer classes than this means the import looked in the wrong place and every rule would pass vacuously.
    private static final int MIN_MODULE_CLASSES = 200;

    private static JavaClasses module;

    @BeforeAll
    static void importModule() {
        // The rules need only the names of what the classes reference; resolving those from the dependency jars
        // (OpenBLAS, OSHI, Netty...) costs seconds on a busy 2-core machine.
        ArchConfiguration config = ArchConfiguration.get();
        boolean resolve = config.resolveMissingDependenciesFromClassPath();
        config.setResolveMissingDependenciesFromClassPath(false);
        try {
            // The compiled main classes of this module only (.../classes/dev/hearth), not the whole classpath.
            Path classes = Path.of(ModelConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            module = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                    .importPath(classes.resolve("dev/hearth"));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } finally {
            config.setResolveMissingDependenciesFromClassPath(resolve);
        }
        if (module.size() < MIN_MODULE_CLASSES) {
            throw new AssertionError("expected the compute-engine classes, imported " + module.size());
        }
    }

    @Test
    void engineUsesNoNetworkUiOrHost() {
        noClasses().that().resideInAPackage("dev.hearth.engine..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty..", "javafx..", "java.awt..",
                        "javax.swing..", "dev.hearth.node..", "dev.hearth.coordinator..", "dev.hearth.desktop..")
                .because("the node and the coordinator both run the engine; it talks to neither the network nor a"
                        + " screen (architecture.md, Modules)")
                .check(module);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("dev.hearth.(**)").should().beFreeOfCycles()
                .because("each idea has one home: a package that needs another's type sits above it, never beside it")
                .check(module);
    }
}
