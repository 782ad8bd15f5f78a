package ilb.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The console's Jolokia policy as Jolokia reads it: the operator's file, with the console's own origins
 * ({@code ilb.console.origins}) added to its {@code <cors>} as {@code <allow-origin>}s, since the file cannot know
 * the names the console is reached by. With {@code <strict-checking/>} there, Jolokia then refuses any request
 * whose Origin (or, without one, Referer) is not one of them: no other site's page can drive the console.
 */
final class ConsolePolicy {

    private ConsolePolicy() {
    }

    /** Writes the policy with the origins to {@code effective}; a policy without {@code <cors>} is given one. */
    static void write(Path policy, List<String> origins, Path effective) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            Document document = factory.newDocumentBuilder().parse(policy.toFile());
            NodeList found = document.getElementsByTagName("cors");
            Element cors;
            if (found.getLength() > 0) {
                cors = (Element) found.item(0);
            } else {
                cors = document.createElement("cors");
                cors.appendChild(document.createElement("strict-checking"));
                document.getDocumentElement().appendChild(cors);
            }
            for (String origin : origins) {
                // a page's Origin, or its Referer (Hawtio's Referrer-Policy strict-origin sends "<origin>/")
                for (String allowed : List.of(origin, origin + "/*")) {
                    Element allow = document.createElement("allow-origin");
                    allow.setTextContent(allowed);
                    cors.insertBefore(allow, cors.getFirstChild());
                }
            }
            Files.createDirectories(effective.toAbsolutePath().getParent());
            TransformerFactory transformers = TransformerFactory.newInstance();
            transformers.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            var transformer = transformers.newTransformer();
            transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            transformer.transform(new DOMSource(document), new StreamResult(effective.toFile()));
        } catch (IOException | SAXException | ParserConfigurationException | TransformerException e) {
            throw new IllegalStateException("cannot read the Jolokia policy " + policy + ": " + e.getMessage(), e);
        }
    }
}
