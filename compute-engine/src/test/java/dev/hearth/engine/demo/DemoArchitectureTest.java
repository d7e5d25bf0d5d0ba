package dev.hearth.engine.demo;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/// The DeMo codec and aggregation must give bit-identical results on the coordinator and every node, so they are
/// plain Java: no OpenBLAS (native kernels differ by CPU and thread count), and no network or UI code.
class DemoArchitectureTest {

    private static final JavaClasses DEMO = importDemo();

    private static JavaClasses importDemo() {
        // The rule needs only the names of what demo classes reference; resolving those from the classpath (the
        // dependency jars) took ~10 s.
        ArchConfiguration.get().setResolveMissingDependenciesFromClassPath(false);
        try {
            // Import from the directory holding the demo classes: scanning the whole classpath for the package
            // (dependency jars included) is what made this test slow.
            Path root = Path.of(TransformDct.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return new ClassFileImporter()
                    .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                    .importPath(root.resolve("dev/hearth/engine/demo"));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } finally {
            ArchConfiguration.get().reset();
        }
    }

    @Test
    void demoCodeUsesNoNativeMathNetworkOrUi() {
        if (DEMO.size() < 10) {
            throw new AssertionError("expected the demo classes, imported " + DEMO.size());
        }
        noClasses().that().resideInAPackage("dev.hearth.engine.demo..")
                .should().dependOnClassesThat().resideInAnyPackage("org.bytedeco..", "io.netty..",
                        "javafx..", "dev.hearth.node..", "dev.hearth.coordinator..")
                .check(DEMO);
    }
}
