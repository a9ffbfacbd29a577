import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.util.List;

/**
 * Starts mongo-java-server, a MongoDB wire-protocol server, as the local stand-in for mongod.
 * Usage: java -cp 'lib/*' MongoLauncher.java <host> <port> [h2-file]
 * With an H2 file the data survives a restart (needed by the "MongoDB stopped and restarted" tests).
 *
 * The server announces wire version 9 (MongoDB 4.4): the Node.js driver 7.x refuses anything older
 * ("reports maximum wire version 8, but this version of the Node.js Driver requires at least 9"), and
 * mongo-java-server's own newest ServerVersion (MONGO_5_0) still reports wire version 8.
 */
public class MongoLauncher {
  public static void main(String[] args) throws Exception {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 27017;
    MongoBackend backend = args.length > 2 ? new H2Backend(args[2]) : new MemoryBackend();
    backend.version(new MongoVersion() {
      public List<Integer> getVersionArray() {
        return List.of(4, 4, 0);
      }

      public int getWireVersion() {
        return 9;
      }
    });
    MongoServer server = new MongoServer(backend);
    try {
      server.bind(host, port);
    } catch (Exception e) { // netty rethrows the checked BindException undeclared
      // The backend's threads would keep the JVM (and the H2 file's lock) alive with nothing listening.
      System.err.println("mongo-java-server cannot listen on " + host + ":" + port + ": " + e.getMessage());
      backend.close();
      System.exit(1);
    }
    System.out.println("mongo-java-server listening on " + host + ":" + port + (args.length > 2 ? " (h2 " + args[2] + ")" : " (memory)"));
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
    Thread.currentThread().join();
  }
}
