package io.pgtier.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgtier.harness.FaultProxy;
import io.pgtier.harness.PgHarness;
import io.pgtier.harness.PgServer;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The status page at {@code /pgtier-web/} in a real browser: Debian's headless Chromium, driven by
 * Selenium through Debian's chromedriver, against Payara Micro with real tiers (two routes to one
 * server, so the harness can hang one). Screenshots land in {@code target/screenshots/} for a
 * person to look at. Runs in profile {@code browser} ({@code ./mvnw verify -Pbrowser}); without the
 * two packages it fails, it never skips.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StatusPageIT {

    private static final String OPERATOR_PASSWORD = "page-ops-pw-1618";
    private static final String STAFF_PASSWORD = "page-staff-pw-1414";
    private static final Path SCREENSHOTS = Path.of(System.getProperty("pgtier.work")).resolveSibling("screenshots");

    private static PgHarness harness;
    private static FaultProxy primaryRoute;
    private static WebDriver browser;

    @ArquillianResource
    private URL app;

    @Deployment(testable = false)
    static WebArchive deployment() throws IOException {
        harness = PgHarness.create();
        PgServer server = harness.startPrimary("page");
        primaryRoute = harness.proxy("page-primary-route", server);
        FaultProxy backupRoute = harness.proxy("page-backup-route", server);
        Path work = Path.of(System.getProperty("pgtier.work"));
        Files.createDirectories(work);
        Path operator = Files.writeString(work.resolve("page-operator.password"), "AS_ADMIN_USERPASSWORD=" + OPERATOR_PASSWORD + "\n");
        Path staff = Files.writeString(work.resolve("page-staff.password"), "AS_ADMIN_USERPASSWORD=" + STAFF_PASSWORD + "\n");
        // One failed probe of 1 s marks a tier down, so the 5 s the page has are mostly the page's own.
        List<String> monitor = List.of("create-resource-adapter-config --property"
                + " healthCheckIntervalSeconds=1:probeTimeoutSeconds=1:probeFailuresBeforeDown=1 pgtier");
        MicroApp.writePostBoot(primaryRoute.jdbcUrl(), backupRoute.jdbcUrl(), "", monitor, List.of(
                "create-file-user --groups pgtier-operator --passwordfile " + operator + " pageops",
                "create-file-user --groups staff --passwordfile " + staff + " pagestaff"));
        return MicroApp.war();
    }

    @BeforeAll
    static void startBrowser() throws IOException {
        Files.createDirectories(SCREENSHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        // As root, without a display, and without the background traffic this closed network refuses.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1400,900", "--user-data-dir=" + Files.createTempDirectory("pgtier-chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    @Order(1)
    @DisplayName("the page shows every pool and tier with its state, role, breaker and caps")
    void showsEveryTier() {
        browser.get(app.toString());

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (String pool : List.of("pgtier-rw", "pgtier-ro")) {
                for (String tier : List.of("primary", "backup")) {
                    assertThat(tierAttribute(pool, tier, "state")).as(pool + "/" + tier).isEqualTo("UP");
                    assertThat(tierAttribute(pool, tier, "breaker")).as(pool + "/" + tier).isEqualTo("CLOSED");
                }
            }
            assertThat(text("#live")).startsWith("live");
        });
        assertThat(rowText("pgtier-rw", "primary")).contains("WRITABLE").containsPattern("\\d+ / \\d+");
        assertThat(browser.findElements(By.cssSelector("button[data-action]"))).as("no buttons before a login").isEmpty();
        // Micro clusters by default: a grid of one, and this instance's view of the tiers its pools use.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            var rows = browser.findElements(By.cssSelector("#instances tr"));
            assertThat(rows).extracting(r -> r.getAttribute("data-tier")).contains("primary", "backup");
            assertThat(rows).extracting(r -> r.getAttribute("data-instance")).as("one instance").containsOnly(
                    rows.get(0).getAttribute("data-instance"));
            assertThat(browser.findElement(By.cssSelector("#instances tr[data-tier='primary']")).getText())
                    .contains("UP", "WRITABLE", "CLOSED").doesNotContain("not yet");
        });
        screenshot("1-every-tier");
    }

    @Test
    @Order(2)
    @DisplayName("a hung primary shows DOWN, with its down and failover events, within 5 s")
    void showsHungPrimaryDown() throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger failed = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(4);
        for (int i = 0; i < 4; i++) {
            callers.execute(() -> {
                while (running.get()) {
                    try {
                        if (MicroApp.post(app, "api/examples/notes?text=page-work").statusCode() != 201) {
                            failed.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        failed.incrementAndGet();
                    }
                }
            });
        }
        try {
            long hungAt = System.nanoTime();
            primaryRoute.blackhole();

            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                assertThat(tierAttribute("pgtier-rw", "primary", "state")).isEqualTo("DOWN");
                assertThat(eventIds("primary")).contains("PGT-301");
            });
            long downShown = System.nanoTime();
            await().atMost(Duration.ofSeconds(5).minusNanos(downShown - hungAt)).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(eventIds("backup")).as("new work moved to the backup").contains("PGT-305"));
            System.out.printf("StatusPageIT: the page showed the hung primary DOWN after %d ms, the failover event after %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(downShown - hungAt), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - hungAt));
            screenshot("2-primary-down");

            primaryRoute.pass();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(tierAttribute("pgtier-rw", "primary", "state")).isEqualTo("UP"));
        } finally {
            running.set(false);
            callers.shutdown();
            assertThat(callers.awaitTermination(90, TimeUnit.SECONDS)).isTrue();
        }
        System.out.println("StatusPageIT: " + failed.get() + " caller requests failed during the hang");
    }

    @Test
    @Order(3)
    @DisplayName("a wrong password or a user without the role gets no buttons, and a POST with that user's credentials is refused and changes nothing")
    void staffActsOnNothing() {
        logIn("pageops", "not-the-password");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(text("#message")).contains("Login failed (401)"));

        logIn("pagestaff", STAFF_PASSWORD);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(text("#message")).contains("pagestaff is not in role pgtier-operator"));
        assertThat(browser.findElements(By.cssSelector("button[data-action]"))).isEmpty();
        // What a crafted request from this browser gets, with the staff user's and with no credentials.
        assertThat(postFromPage("pagestaff", STAFF_PASSWORD)).isEqualTo(403L);
        assertThat(postFromPage(null, null)).isEqualTo(401L);
        assertThat(tierAttribute("pgtier-rw", "backup", "state")).isEqualTo("UP");
        assertThat(MicroApp.get(app, "api/status").body()).doesNotContain("DRAINED").doesNotContain("PGT-306");
        screenshot("3-staff-read-only");
    }

    @Test
    @Order(4)
    @DisplayName("an operator logs in, drains the backup and sees it drained")
    void operatorDrainsBackup() {
        logIn("pageops", OPERATOR_PASSWORD);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(text("#who")).isEqualTo("Operator pageops."));

        await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(WebDriverException.class).untilAsserted(() ->
                browser.findElement(By.cssSelector("section[data-pool='pgtier-rw'] tr[data-tier='backup'] button[data-action='drain']"))
                        .click());

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(tierAttribute("pgtier-rw", "backup", "state")).isEqualTo("DRAINED");
            assertThat(text("#message")).contains("drain backup of pgtier-rw: done");
            assertThat(eventIds("backup")).contains("PGT-306");
        });
        assertThat(text("#events")).contains("pageops");
        screenshot("4-backup-drained");
    }

    private void logIn(String user, String password) {
        browser.findElement(By.id("user")).clear();
        browser.findElement(By.id("user")).sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(password);
        browser.findElement(By.id("login-button")).click();
    }

    /**
     * The status of a drain POSTed by script from the page, as a crafted request would be. Without
     * the browser's own credentials (as the page sends its requests): a 401 would otherwise open
     * the browser's login prompt, which blocks a headless browser.
     */
    private Long postFromPage(String user, String password) {
        Object status = ((JavascriptExecutor) browser).executeAsyncScript("""
                const [user, password, done] = arguments;
                const headers = {"X-Requested-By": "StatusPageIT"};
                if (user) headers.Authorization = "Basic " + btoa(user + ":" + password);
                fetch("api/pools/pgtier-rw/tiers/backup/drain", {method: "POST", headers, credentials: "omit"})
                    .then(r => done(r.status), e => done(-1));
                """, user, password);
        return (Long) status;
    }

    private String tierAttribute(String pool, String tier, String attribute) {
        return (String) ((JavascriptExecutor) browser).executeScript(
                "const row = document.querySelector(\"section[data-pool='\" + arguments[0] + \"'] tr[data-tier='\" + arguments[1] + \"']\");"
                        + " return row ? row.getAttribute('data-' + arguments[2]) : null;", pool, tier, attribute);
    }

    private String rowText(String pool, String tier) {
        return (String) ((JavascriptExecutor) browser).executeScript(
                "const row = document.querySelector(\"section[data-pool='\" + arguments[0] + \"'] tr[data-tier='\" + arguments[1] + \"']\");"
                        + " return row ? row.innerText : '';", pool, tier);
    }

    /** The ids of the events the page lists for a tier. */
    @SuppressWarnings("unchecked")
    private List<String> eventIds(String tier) {
        return (List<String>) ((JavascriptExecutor) browser).executeScript(
                "return [...document.querySelectorAll('#events tr')].filter(r => r.cells[3].textContent === arguments[0])"
                        + ".map(r => r.dataset.event);", tier);
    }

    private String text(String css) {
        return (String) ((JavascriptExecutor) browser).executeScript(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", css);
    }

    private static void screenshot(String name) {
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        try {
            Files.copy(shot, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
