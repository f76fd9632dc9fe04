/*
 * The lab's MongoDB-wire server: mongo-java-server with its H2 (MVStore)
 * backend, one data file, bound to one address.
 *
 *   java -cp 'LIBS/*:CLASSES' WireServer HOST PORT DATA_FILE
 *
 * Started and stopped by scripts/mongo.sh. What this file decides:
 *  - the version the server reports. mongo-java-server says wire version 8 by
 *    default and PyMongo 4 refuses any server below 9, so it claims MongoDB
 *    4.4 (wire 9), the oldest version PyMongo 4 accepts;
 *  - how long a write may sit in memory before it reaches the file (the
 *    MVStore auto-commit delay): SIGTERM always writes everything out, this
 *    only bounds what a SIGKILL or a power cut can lose;
 *  - that SIGTERM closes the store, so `mongo.sh stop` never corrupts it.
 */

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.h2.mvstore.MVStore;

public final class WireServer {

    /** MongoDB 4.4: wire version 9, the lowest PyMongo 4.x talks to. */
    static final MongoVersion MONGO_4_4 = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    };

    /** Milliseconds between background writes of the store; the MVStore default is 1000. */
    static final int AUTO_COMMIT_DELAY_MS = Integer.getInteger("modelguard.mongo.commitDelayMs", 200);

    private WireServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: WireServer HOST PORT DATA_FILE");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        Path file = Path.of(args[2]).toAbsolutePath();
        Files.createDirectories(file.getParent());

        MVStore store = new MVStore.Builder()
                .fileName(file.toString())
                .autoCommitBufferSize(1024) // KiB of pending writes that force a write early
                .open();
        store.setAutoCommitDelay(AUTO_COMMIT_DELAY_MS);
        H2Backend backend = new H2Backend(store);
        backend.version(MONGO_4_4);
        MongoServer server = new MongoServer(backend);

        // shutdownNow closes client connections, then the backend, which
        // commits and closes the MVStore file.
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "wire-server-shutdown"));
        server.bind(host, port);
        System.err.printf("WireServer: MongoDB %s (wire %d) on %s:%d, data in %s%n",
                MONGO_4_4.toVersionString(), MONGO_4_4.getWireVersion(), host, port, file);
    }
}
