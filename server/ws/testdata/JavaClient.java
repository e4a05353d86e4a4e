// A client written to the protocol seed's Java sample: it asks for a
// challenge, rebuilds the RSA public key with X509EncodedKeySpec, encrypts
// the password with Cipher.getInstance("RSA") and sends it base64-encoded
// in a login message. (java.util.Base64 replaces javax.xml.bind's
// DatatypeConverter, which newer Java no longer ships; the encoding is the
// same.) Usage: java JavaClient.java WS-URL USERID PASSWORD [2FATOKEN]
// It prints the server's reply to the login.

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;

public class JavaClient {
    public static void main(String[] args) throws Exception {
        LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
            .buildAsync(URI.create(args[0]), new WebSocket.Listener() {
                StringBuilder buf = new StringBuilder();
                public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                    buf.append(data);
                    if (last) { replies.add(buf.toString()); buf = new StringBuilder(); }
                    w.request(1);
                    return CompletableFuture.completedFuture(null);
                }
            }).join();

        ws.sendText("{\"type\":\"challenge\"}", true).join();
        String challenge = replies.poll(10, TimeUnit.SECONDS);
        Matcher m = Pattern.compile("\"key\":\"([^\"]+)\"").matcher(challenge);
        if (!m.find()) throw new IllegalStateException("no key in " + challenge);
        String key = m.group(1);

        // The seed's sample, line by line.
        byte[] array = Base64.getDecoder().decode(key);
        KeyFactory kf = KeyFactory.getInstance("RSA");
        PublicKey publicKey = kf.generatePublic(new X509EncodedKeySpec(array));
        Cipher cipher = Cipher.getInstance("RSA");
        cipher.init(Cipher.ENCRYPT_MODE, publicKey);
        byte[] result = cipher.doFinal(args[2].getBytes("UTF-8"));
        String output = Base64.getEncoder().encodeToString(result);

        String token = args.length > 3 ? ",\"2fatoken\":\"" + args[3] + "\"" : "";
        ws.sendText("{\"type\":\"login\",\"userid\":\"" + args[1] + "\",\"pass\":\"" + output + "\"" + token + "}", true).join();
        String reply = replies.poll(10, TimeUnit.SECONDS);
        System.out.println(reply);
        // The server closes the socket after a refused login: log out only
        // after a successful one.
        if (reply != null && reply.contains("\"result\":\"OK\"")) {
            ws.sendText("{\"type\":\"logout\"}", true).join();
            replies.poll(10, TimeUnit.SECONDS);
        }
        ws.abort();
    }
}
