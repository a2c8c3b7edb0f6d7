package com.userpilotrelay.bench.probe;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An SQS event as Lambda's event source hands a batch to the dispatch function. */
public final class SqsBatch {
  private SqsBatch() {}

  /** One queued message: the queue's id, its body and its string attributes. */
  public record Message(String id, String body, Map<String, String> attributes, int receiveCount) {}

  public static SQSEvent of(List<Message> messages) {
    List<SQSEvent.SQSMessage> records = new ArrayList<>(messages.size());
    for (Message m : messages) {
      SQSEvent.SQSMessage record = new SQSEvent.SQSMessage();
      record.setMessageId(m.id());
      record.setReceiptHandle("receipt-" + m.id() + "-" + m.receiveCount());
      record.setBody(m.body());
      record.setEventSource("aws:sqs");
      record.setAttributes(Map.of("ApproximateReceiveCount", Integer.toString(m.receiveCount())));
      Map<String, SQSEvent.MessageAttribute> attributes = new HashMap<>();
      m.attributes().forEach((name, value) -> {
        SQSEvent.MessageAttribute a = new SQSEvent.MessageAttribute();
        a.setDataType("String");
        a.setStringValue(value);
        attributes.put(name, a);
      });
      record.setMessageAttributes(attributes);
      records.add(record);
    }
    SQSEvent event = new SQSEvent();
    event.setRecords(records);
    return event;
  }
}
