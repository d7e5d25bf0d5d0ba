package dev.hearth.desktop.view;

import atlantafx.base.theme.Styles;
import dev.hearth.desktop.viewmodel.FirstStartViewModel;
import dev.hearth.node.api.NodeSettings.Policy;
import javafx.geometry.Pos;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.RadioButton;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleGroup;
import javafx.scene.image.ImageView;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;

/// The first start: three sentences, which run, the GPU check and when to contribute; one button to begin.
public final class FirstStartView implements View {
    private final FirstStartViewModel vm;
    private final javafx.scene.layout.BorderPane root;

    public FirstStartView(FirstStartViewModel vm, Runnable onStarted) {
        this.vm = vm;
        ImageView logo = new ImageView(Icons.appIcon(64));
        Label title = new Label("Welcome to Hearth");
        title.getStyleClass().add(Styles.TITLE_1);
        HBox header = new HBox(16, logo, title);
        header.setAlignment(Pos.CENTER_LEFT);
        Label intro = Ui.id(Ui.wrapped(FirstStartViewModel.INTRO), "intro");

        ToggleGroup runGroup = new ToggleGroup();
        RadioButton local = Ui.id(new RadioButton("Start a local run on this computer (works without a network)"), "localRun");
        RadioButton join = Ui.id(new RadioButton("Join a public run by its address"), "joinRun");
        local.setToggleGroup(runGroup);
        join.setToggleGroup(runGroup);
        local.setSelected(!vm.joinByAddressProperty().get());
        join.setSelected(vm.joinByAddressProperty().get());
        runGroup.selectedToggleProperty().addListener((o, a, b) -> vm.joinByAddressProperty().set(b == join));
        TextField address = Ui.id(new TextField(), "runAddress");
        address.setPromptText("hearth://run.example.org:7443#sha256=…");
        address.textProperty().bindBidirectional(vm.addressProperty());
        address.disableProperty().bind(vm.joinByAddressProperty().not());
        address.focusedProperty().addListener((o, was, now) -> { if (was && !now) vm.validateAddress(); });
        Label addressError = Ui.id(Ui.error(), "addressError");
        addressError.textProperty().bind(vm.addressErrorProperty());
        VBox runBox = new VBox(8, local, join, address, addressError);

        Label gpu = Ui.id(Ui.wrapped(""), "gpuCheck");
        gpu.textProperty().bind(vm.gpuTextProperty());

        ToggleGroup policyGroup = new ToggleGroup();
        VBox policyBox = new VBox(8);
        for (Policy p : Policy.values()) {
            RadioButton r = Ui.id(new RadioButton(FirstStartViewModel.policyLabel(p)), "policy-" + p.name());
            r.setToggleGroup(policyGroup);
            r.setUserData(p);
            r.setSelected(vm.policyProperty().get() == p);
            policyBox.getChildren().add(r);
        }
        policyGroup.selectedToggleProperty().addListener((o, a, b) -> {
            if (b != null) vm.policyProperty().set((Policy) b.getUserData());
        });

        Button start = Ui.id(new Button("Start contributing"), "startButton");
        start.getStyleClass().addAll(Styles.ACCENT, Styles.LARGE);
        start.setDefaultButton(true);
        start.disableProperty().bind(vm.busyProperty());
        start.setOnAction(e -> vm.start(onStarted));
        ProgressIndicator busy = new ProgressIndicator();
        busy.setPrefSize(24, 24);
        busy.visibleProperty().bind(vm.busyProperty());
        Label error = Ui.id(Ui.error(), "startError");
        error.textProperty().bind(vm.errorProperty());
        HBox actions = new HBox(Ui.GAP, start, busy);
        actions.setAlignment(Pos.CENTER_LEFT);

        Label whatRuns = Ui.id(Ui.wrapped(FirstStartViewModel.WHAT_RUNS), "whatRuns");
        Label elevated = Ui.id(Ui.error(), "elevatedWarning");
        elevated.setText(vm.elevatedWarning());
        VBox page = new VBox(Ui.GAP * 1.5, header, intro, elevated,
                Ui.heading("What runs and what leaves this computer"), whatRuns,
                Ui.heading("Which run"), runBox,
                Ui.heading("Your graphics card"), gpu,
                Ui.heading("When to contribute"), policyBox);
        page.setPadding(Ui.PAGE_PADDING);
        page.setMaxWidth(760);
        ScrollPane scroll = new ScrollPane(page);
        scroll.setFitToWidth(true);
        // The button stays in view below the scrolling text: it is what the whole screen leads to.
        VBox footer = new VBox(Ui.GAP / 2, afterStartLabel(vm), actions, error);
        footer.setPadding(new javafx.geometry.Insets(Ui.GAP, Ui.PAGE_PADDING.getRight(), Ui.GAP, Ui.PAGE_PADDING.getLeft()));
        footer.getStyleClass().add("first-start-footer");
        root = new javafx.scene.layout.BorderPane(scroll, null, null, footer, null);
        root.setId("firstStart");
    }

    private static javafx.scene.control.Label afterStartLabel(FirstStartViewModel vm) {
        Label l = Ui.id(Ui.wrapped(""), "afterStart");
        l.setMaxWidth(760 - Ui.PAGE_PADDING.getLeft() - Ui.PAGE_PADDING.getRight());
        l.textProperty().bind(vm.afterStartProperty());
        return l;
    }

    @Override
    public Parent root() {
        return root;
    }

    @Override
    public void activate() {
        vm.checkGpu();
    }
}
