package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgtier.testbean.OrderBean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AcquisitionSiteTest {

    @Test
    @DisplayName("the site names the first frame outside the adapter and the container: the bean's method and line")
    void namesTheBeanFrame() {
        AcquisitionSite site = OrderBean.place(AcquisitionSite::capture);

        assertThat(site).hasToString("io.pgtier.testbean.OrderBean.place(OrderBean.java:12)");
    }
}
