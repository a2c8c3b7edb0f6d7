package com.userpilotrelay.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.userpilotrelay.testing.EmbeddedSqs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * What the relay relies on an SQS FIFO queue to do, checked through the queue adapter against an SQS
 * implementation: ElasticMQ (the local runner's) and moto (a second, independent one). Each test makes its
 * own queues, so the order of tests does not matter.
 */
abstract class FifoQueueContract {
  abstract SqsClient client();

  private record Queues(String events, String deadLetters, SqsEventQueue adapter) { }

  private Queues queues(int maxReceiveCount, int visibilitySeconds) {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String dlq = client().createQueue(b -> b.queueName("contract-dlq-" + suffix + ".fifo")
        .attributes(EmbeddedSqs.FIFO)).queueUrl();
    String dlqArn = client().getQueueAttributes(b -> b.queueUrl(dlq).attributeNames(QueueAttributeName.QUEUE_ARN))
        .attributes().get(QueueAttributeName.QUEUE_ARN);
    Map<QueueAttributeName, String> attributes = new HashMap<>(EmbeddedSqs.FIFO);
    attributes.put(QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(visibilitySeconds));
    attributes.put(QueueAttributeName.REDRIVE_POLICY,
        "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":\"" + maxReceiveCount + "\"}");
    String events = client().createQueue(b -> b.queueName("contract-" + suffix + ".fifo").attributes(attributes))
        .queueUrl();
    String rejected = client().createQueue(b -> b.queueName("contract-rejected-" + suffix)).queueUrl();
    return new Queues(events, dlq, new SqsEventQueue(client(), events, dlq, rejected, 4));
  }

  private static QueueMessage event(String user, String id) {
    return new QueueMessage(id, "{\"id\":\"" + id + "\"}", Map.of("messageId", id),
        MessageGroups.groupId("user:" + user), MessageGroups.deduplicationId("user:" + user, id));
  }

  private List<Message> receive(String url, int max) {
    return client().receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(max).waitTimeSeconds(0)
        .messageAttributeNames("All").messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
  }

  private static List<String> ids(List<Message> messages) {
    return messages.stream().map(m -> m.messageAttributes().get("messageId").stringValue()).toList();
  }

  private void delete(String url, Message m) {
    client().deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
  }

  @Test
  void aGroupIsHandedOutInOrderAcrossSeparateSends() {
    Queues q = queues(1000, 30);
    for (int i = 1; i <= 5; i++) {
      assertEquals(Set.of(), q.adapter().enqueue(List.of(event("a", "a" + i))));
    }
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Message m = receive(q.events(), 1).get(0);
      seen.add(ids(List.of(m)).get(0));
      delete(q.events(), m);
    }
    assertEquals(List.of("a1", "a2", "a3", "a4", "a5"), seen);
  }

  @Test
  void whileOneOfAGroupsMessagesIsInFlightTheGroupsLaterOnesAreNotHandedOut() {
    Queues q = queues(1000, 30);
    q.adapter().enqueue(List.of(event("a", "a1"), event("a", "a2"), event("b", "b1")));
    assertEquals(List.of("a1"), ids(receive(q.events(), 1)));
    assertEquals(List.of("b1"), ids(receive(q.events(), 10)), "a2 waits while a1 is in flight; b is not held");
    assertTrue(receive(q.events(), 10).isEmpty());
  }

  @Test
  void aRetryDelayHidesTheMessageAndHoldsItsGroupThenOrderResumes() throws InterruptedException {
    assertEquals(List.of("a1", "a2"), visibilityRoundTrip(), "back in the same order after the delay");
  }

  /** Two of a group's messages hidden for 2 s (the dispatcher's retry); what a receive gets once they are back. */
  List<String> visibilityRoundTrip() throws InterruptedException {
    Queues q = queues(1000, 30);
    q.adapter().enqueue(List.of(event("a", "a1"), event("a", "a2")));
    List<Message> both = receive(q.events(), 10);
    assertEquals(List.of("a1", "a2"), ids(both));
    Map<String, Duration> delays = new HashMap<>();
    both.forEach(m -> delays.put(m.receiptHandle(), Duration.ofSeconds(2)));
    assertEquals(Set.of(), q.adapter().retryAfter(delays));
    assertTrue(receive(q.events(), 10).isEmpty(), "hidden for the delay");
    Thread.sleep(3_000);
    List<Message> again = receive(q.events(), 10);
    if (!again.isEmpty()) {
      assertEquals("2", again.get(0).attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT));
    }
    return ids(again);
  }

  @Test
  void theAttributesTheDispatcherReadsAreThere() {
    Queues q = queues(1000, 30);
    q.adapter().enqueue(List.of(event("a", "a1")));
    long before = System.currentTimeMillis() - 1_000;
    Message m = receive(q.events(), 1).get(0);
    assertEquals(MessageGroups.groupId("user:a"), m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID));
    String first = m.attributes().get(MessageSystemAttributeName.APPROXIMATE_FIRST_RECEIVE_TIMESTAMP);
    assertNotNull(first);
    assertTrue(Long.parseLong(first) >= before, first);
    assertEquals("1", m.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT));
  }

  @Test
  void aResendOfTheSameEventIsStoredOnceEvenAfterTheFirstWasDelivered() {
    assertEquals(0, resendAfterDelete(), "within five minutes a resend is dropped");
  }

  /** Sends an event, receives and deletes it, sends it again: how many copies the queue then holds. */
  int resendAfterDelete() {
    Queues q = queues(1000, 30);
    assertEquals(Set.of(), q.adapter().enqueue(List.of(event("a", "dup"))));
    Message m = receive(q.events(), 1).get(0);
    delete(q.events(), m);
    assertEquals(Set.of(), q.adapter().enqueue(List.of(event("a", "dup"))), "accepted, not an error");
    return receive(q.events(), 10).size();
  }

  @Test
  void theSameMessageIdForAnotherUserIsNotADuplicate() {
    Queues q = queues(1000, 30);
    q.adapter().enqueue(List.of(event("a", "same"), event("b", "same")));
    assertEquals(2, receive(q.events(), 10).size() + receive(q.events(), 10).size());
  }

  @Test
  void theQueuesOwnRedriveMovesAMessageToTheFifoDeadLetterQueueAfterMaxReceiveCount()
      throws InterruptedException {
    Queues q = queues(2, 1);
    q.adapter().enqueue(List.of(event("a", "a1")));
    assertEquals(1, receive(q.events(), 1).size());
    Thread.sleep(1_500);
    assertEquals(1, receive(q.events(), 1).size());
    Thread.sleep(1_500);
    assertTrue(receive(q.events(), 1).isEmpty(), "the third receive finds it moved");
    List<Message> dead = receive(q.deadLetters(), 10);
    assertEquals(List.of("a1"), ids(dead));
  }

  @Test
  void theDeadLetterQueueTakesTheRelaysOwnDeadLettersInTheUsersGroup() {
    Queues q = queues(1000, 30);
    assertEquals(Set.of(), q.adapter().deadLetter(List.of(event("a", "d1"), event("a", "d2"))));
    List<Message> dead = receive(q.deadLetters(), 10);
    assertEquals(List.of("d1", "d2"), ids(dead));
    assertEquals(MessageGroups.groupId("user:a"), dead.get(0).attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID));
  }
}
