package dev.hearth.coordinator.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/// The bench module's own rules (docs/architecture.md, "Modules"; ADR 0009): its packages form no cycle, as in every
/// other module, and a benchmark stays headless.
class BenchArchitectureTest {

    /// This module's main classes only (surefire runs in the module's directory): in a reactor build the other
    /// modules arrive as class folders too, so "not from a jar" would not tell them apart.
    private static final JavaClasses BENCH = new ClassFileImporter().importPath(Path.of("target", "classes"));

    @Test
    void importsTheBenchClasses() {
        // Guards the rules below against passing on an empty import (a moved output folder).
        if (!BENCH.contain(BenchMain.class)) {
            throw new AssertionError("the import of target/classes does not hold BenchMain: " + BENCH.size() + " classes");
        }
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("dev.hearth.(**)").should().beFreeOfCycles()
                .because("each idea has one home: a package that needs another's type sits above it, never beside it")
                .check(BENCH);
    }

    @Test
    void benchmarksDoNotUseJavaFx() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("javafx..")
                .because("the benchmarks run headless, on CI machines and over ssh")
                .check(BENCH);
    }
}
