package com.userpilotrelay.template;

import com.userpilotrelay.config.Setting;

/** The two functions as the team fixed them: template resource, settings reader, handler and its types. */
enum DeployedFunction {
  INGEST("IngestFunction", Setting.Fn.INGEST, "com.userpilotrelay.ingest.IngestHandler",
      "com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent",
      "com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse",
      "functions/ingest/target/ingest-function.zip"),
  DISPATCH("DispatchFunction", Setting.Fn.DISPATCH, "com.userpilotrelay.dispatch.DispatchHandler",
      "com.amazonaws.services.lambda.runtime.events.SQSEvent",
      "com.amazonaws.services.lambda.runtime.events.SQSBatchResponse",
      "functions/dispatch/target/dispatch-function.zip");

  final String logicalId;
  final Setting.Fn reader;
  final String handlerClass;
  final String eventType;
  final String responseType;
  final String zip;

  DeployedFunction(String logicalId, Setting.Fn reader, String handlerClass, String eventType,
      String responseType, String zip) {
    this.logicalId = logicalId;
    this.reader = reader;
    this.handlerClass = handlerClass;
    this.eventType = eventType;
    this.responseType = responseType;
    this.zip = zip;
  }
}
