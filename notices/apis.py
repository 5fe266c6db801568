"""REST API: a user's own notifications and e-mail preferences (issue 15), as on the pages.

Reads go through notices.selectors (someone else's notification is a 404), writes through
notices.services.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import StrictInputSerializer, validated_input
from notices import selectors, services
from notices.models import Notification


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Notification.Kind.choices)
    subject = serializers.CharField(source="shown_subject", help_text="In the reader's language.")
    body = serializers.CharField(source="shown_body", help_text="In the reader's language.")
    url = serializers.CharField(help_text="The page it is about, as a path on this site.")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "Notification"


class EmptyInputSerializer(StrictInputSerializer):
    class Meta:
        ref_name = "NotificationReadInput"


class NotificationListApi(ListAPIView):
    """The user's notifications, newest first."""

    serializer_class = NotificationOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        unread = self.request.query_params.get("unread", "").lower() in {"1", "true"}
        return selectors.notification_list_for_user(user=self.request.user, unread_only=unread)

    @extend_schema(
        operation_id="notifications_list", summary="List your notifications (newest first)",
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread ones.")],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class NotificationReadApi(APIView):
    @extend_schema(
        operation_id="notifications_read", summary="Mark one of your notifications read",
        request=EmptyInputSerializer, responses=NotificationOutputSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        notification = selectors.notification_get_for_user(user=request.user, pk=pk)
        validated_input(EmptyInputSerializer, request)
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(APIView):
    @extend_schema(
        operation_id="notifications_read_all", summary="Mark all your notifications read",
        request=EmptyInputSerializer,
        responses=inline_serializer("NotificationReadAll", {"marked": serializers.IntegerField()}),
    )
    def post(self, request: Request) -> Response:
        validated_input(EmptyInputSerializer, request)
        return Response({"marked": services.notification_mark_all_read(user=request.user)})


class EmailPreferencesApi(APIView):
    class InputSerializer(StrictInputSerializer):
        email_kinds = serializers.ListField(
            child=serializers.ChoiceField(choices=Notification.Kind.choices), allow_empty=True,
            help_text="The kinds that also come by e-mail; every other kind only in the app.",
        )

        class Meta:
            ref_name = "EmailPreferencesInput"

    class OutputSerializer(serializers.Serializer):
        email_kinds = serializers.ListField(child=serializers.ChoiceField(choices=Notification.Kind.choices))

        class Meta:
            ref_name = "EmailPreferences"

    @staticmethod
    def _answer(chosen: dict[str, bool]) -> Response:
        return Response({"email_kinds": [kind for kind, email in chosen.items() if email]})

    @extend_schema(operation_id="notifications_preferences", summary="Which kinds also come by e-mail",
                   responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return self._answer(selectors.email_preferences_for_user(user=request.user))

    @extend_schema(
        operation_id="notifications_preferences_set", summary="Choose which kinds also come by e-mail",
        request=InputSerializer, responses=OutputSerializer,
    )
    def put(self, request: Request) -> Response:
        data = validated_input(self.InputSerializer, request)
        chosen = services.email_preferences_set(user=request.user, email_kinds=data["email_kinds"])
        return self._answer(chosen)
