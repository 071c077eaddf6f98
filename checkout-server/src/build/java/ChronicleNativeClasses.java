import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import net.openhft.chronicle.values.ValueModel;

/**
 * A build step of checkout-server (its pom runs it with the java source launcher after the
 * compile, on the runtime class path): compiles ahead of time the classes Chronicle generates for
 * its value interfaces, into the module's classes, so that Chronicle finds them on the class path
 * (its ValueModel looks there first) and does not run javac when a process first opens a map.
 *
 * <p>Why: that javac run was 0.8-1.0 s of Chronicle Map's 1.6-1.8 s first use in a process on the
 * project's 2-core VM, and up to 4-5 s under a restart's load (benchmarks/README.md, 2026-12-05);
 * every server start, restart and snapshot pays it. The sources come from the Chronicle Values on
 * the class path of this very build, so they match the library the product runs with; if a
 * Chronicle release moves its generator, this step fails the build rather than guess.
 *
 * <p>Usage: {@code java @jvm.options -cp RUNTIME_CLASS_PATH ChronicleNativeClasses.java CLASSES_DIR}
 */
public final class ChronicleNativeClasses {
    /** The value interfaces Chronicle Map generates a native class for when it opens a map. */
    private static final String[] VALUE_INTERFACES = {"net.openhft.chronicle.hash.VanillaGlobalMutableState"};

    private ChronicleNativeClasses() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ChronicleNativeClasses CLASSES_DIR");
            System.exit(2);
        }
        Path classes = Path.of(args[0]);
        Path sources = Files.createTempDirectory("chronicle-native-classes");
        Method generator = Class.forName("net.openhft.chronicle.values.Generators")
                .getDeclaredMethod("generateNativeClass", ValueModel.class, String.class);
        generator.setAccessible(true);
        List<String> javacArgs = new ArrayList<>(List.of(
                "-nowarn", "-proc:none", "-cp", System.getProperty("java.class.path"), "-d", classes.toString()));
        for (String name : VALUE_INTERFACES) {
            Class<?> type = Class.forName(name);
            String simpleName = type.getSimpleName() + ValueModel.$$NATIVE;
            String source = (String) generator.invoke(null, ValueModel.acquire(type), simpleName);
            Path file = sources.resolve(type.getPackageName().replace('.', '/')).resolve(simpleName + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source);
            javacArgs.add(file.toString());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int status = javac.run(null, null, null, javacArgs.toArray(String[]::new));
        if (status != 0) {
            System.err.println("ChronicleNativeClasses: javac failed (" + status + ") on the sources in " + sources);
            System.exit(1);
        }
        System.out.println("ChronicleNativeClasses: compiled " + VALUE_INTERFACES.length + " class(es) into " + classes);
    }
}
