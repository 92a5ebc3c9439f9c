package io.tokenmeter.streams;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DueIndexTest {

    private KeyValueStore<Bytes, byte[]> store;
    private DueIndex index;

    @BeforeEach
    void open() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("due"), Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
        index = new DueIndex(store);
    }

    @Test
    void takesWhatIsDueInDueOrderAndLeavesTheRest() {
        index.add(300, "c");
        index.add(100, "a");
        index.add(200, "b-ü");
        index.add(301, "d");
        index.add(200, "b-2");

        assertThat(index.takeDue(99)).isEmpty();
        assertThat(index.takeDue(300)).containsExactly("a", "b-2", "b-ü", "c");
        assertThat(index.takeDue(300)).as("taken out").isEmpty();
        assertThat(index.takeDue(Long.MAX_VALUE - 1)).containsExactly("d");
        assertThat(store.approximateNumEntries()).isZero();
    }

    @Test
    void negativeTimesSortBeforePositiveOnes() {
        index.add(5, "later");
        index.add(-5, "earlier");

        assertThat(index.takeDue(0)).containsExactly("earlier");
        assertThat(index.takeDue(5)).containsExactly("later");
    }

    @Test
    void aRemovedEntryIsNotDue() {
        index.add(10, "kept");
        index.add(10, "removed");
        index.remove(10, "removed");

        assertThat(index.takeDue(10)).containsExactly("kept");
    }

    @Test
    void anEntryDueBeforeWhatWasTakenAlreadyIsStillFoundAndTaken() {
        index.add(100, "a");
        index.add(500, "later");
        assertThat(index.takeDue(200)).containsExactly("a");

        index.add(150, "late"); // due before the point taken up to: a late call's task
        assertThat(index.firstDue()).isEqualTo(150);
        assertThat(index.takeDue(200)).containsExactly("late");
        assertThat(index.firstDue()).isEqualTo(500);
        assertThat(index.isEmpty()).isFalse();
    }

    @Test
    void aNewIndexOnTheSameStoreFindsWhatIsLeft() {
        index.add(100, "a");
        index.add(300, "b");
        index.takeDue(200);

        DueIndex restarted = new DueIndex(store);

        assertThat(restarted.firstDue()).isEqualTo(300);
        assertThat(restarted.takeDue(300)).containsExactly("b");
        assertThat(restarted.isEmpty()).isTrue();
    }
}
