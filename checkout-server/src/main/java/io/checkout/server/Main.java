package io.checkout.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code serve} runs the server (a flash sale against it: {@code bin/flash-sale}). */
@Command(
        name = "checkout-server",
        mixinStandardHelpOptions = true,
        version = "checkout-server 0.1.0",
        description = "Flash-sale checkout core.",
        subcommands = {Main.Serve.class})
public final class Main implements Callable<Integer> {

    public static void main(String[] args) {
        // Before any Chronicle class loads: a checkout core never phones home.
        System.setProperty("chronicle.analytics.disable", "true");
        CommandLine commandLine = new CommandLine(new Main());
        commandLine
                .getSubcommands()
                .get("serve")
                .getCommandSpec()
                .usageMessage()
                .footer(ServerConfig.help());
        int exit = commandLine.execute(args);
        System.exit(exit);
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    @Command(
            name = "serve",
            mixinStandardHelpOptions = true,
            description = "Runs the checkout server until stopped.",
            footerHeading = "%nSettings (file keys and --set names):%n")
    static final class Serve implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptionsMixin options;

        @Override
        public Integer call() throws InterruptedException {
            ServerConfig config;
            try {
                config = options.toBuilder().conclude();
            } catch (ServerConfig.InvalidSettingException e) {
                System.err.println("checkout-server: " + e.getMessage());
                return 2;
            }
            System.out.println("starting checkout server with:\n" + config.describe());
            CheckoutServer server = CheckoutServer.start(config);
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "checkout-shutdown"));
            server.awaitTermination();
            return 0;
        }
    }

    /** The options of a subcommand that starts a server. */
    public static class ConfigOptionsMixin {
        @Option(names = "--config", description = "properties file of settings")
        Path configFile;

        @Option(names = "--port", description = "gRPC port (setting port)")
        Integer port;

        @Option(names = "--data-dir", description = "state directory (setting data-dir)")
        Path dataDir;

        @Option(
                names = {"-s", "--set"},
                description = "any setting, as name=value; repeatable; wins over --config")
        Map<String, String> overrides = new LinkedHashMap<>();

        ServerConfig.Builder toBuilder() {
            ServerConfig.Builder builder = ServerConfig.builder();
            if (configFile != null) {
                builder.file(configFile);
            }
            if (port != null) {
                builder.set(ServerConfig.Setting.PORT, port);
            }
            if (dataDir != null) {
                builder.set(ServerConfig.Setting.DATA_DIR, dataDir);
            }
            overrides.forEach(builder::set);
            return builder;
        }
    }
}
