package com.userpilotrelay.dispatch;

import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * The SQS event Lambda's event source mapping would deliver for messages received with the SDK: how
 * the local runner (and the tests) drive {@link DispatchHandler} exactly as Lambda does.
 */
public final class SqsEvents {
  private SqsEvents() {}

  /**
   * @param messages received with all message attributes and system attributes
   * @param queueArn the queue's ARN (the event's source), or null
   * @param region the region to report, or null
   */
  public static SQSEvent of(List<Message> messages, String queueArn, String region) {
    List<SQSEvent.SQSMessage> records = new ArrayList<>(messages.size());
    for (Message m : messages) {
      SQSEvent.SQSMessage record = new SQSEvent.SQSMessage();
      record.setMessageId(m.messageId());
      record.setReceiptHandle(m.receiptHandle());
      record.setBody(m.body());
      record.setMd5OfBody(m.md5OfBody());
      record.setMd5OfMessageAttributes(m.md5OfMessageAttributes());
      record.setEventSource("aws:sqs");
      record.setEventSourceArn(queueArn);
      record.setAwsRegion(region);
      record.setAttributes(new HashMap<>(m.attributesAsStrings()));
      Map<String, SQSEvent.MessageAttribute> messageAttributes = new HashMap<>();
      m.messageAttributes().forEach((name, value) -> messageAttributes.put(name, attribute(value)));
      record.setMessageAttributes(messageAttributes);
      records.add(record);
    }
    SQSEvent event = new SQSEvent();
    event.setRecords(records);
    return event;
  }

  private static SQSEvent.MessageAttribute attribute(MessageAttributeValue value) {
    SQSEvent.MessageAttribute attribute = new SQSEvent.MessageAttribute();
    attribute.setDataType(value.dataType());
    attribute.setStringValue(value.stringValue());
    if (value.binaryValue() != null) {
      attribute.setBinaryValue(value.binaryValue().asByteBuffer());
    }
    return attribute;
  }
}
