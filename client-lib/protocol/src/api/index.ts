export * as ApiRequests from './requests';
export * as ApiResponses from './responses';
export * as ApiPrimitives from './primitives';
export { API, API_ROUTES, type ApiRoute, type ApiName, type ApiInput, type ApiRequest, type ApiResponse } from './routes';
export { buildOpenApi } from './openapi';
export { WEBHOOK_EVENTS, type WebhookEventType } from './primitives';
