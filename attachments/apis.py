"""REST API of attachments (issue 15): list and upload on a case, download one file.

Reads are scoped like the case (404 for outsiders); uploads are multipart, checked by content
like the browser's (attachments.services), and answer errors per field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, views
from rest_framework.request import Request
from rest_framework.response import Response

from attachments.models import Attachment
from attachments.selectors import attachment_get_for_user, attachment_list_for_case, case_for_attaching
from attachments.services import attachment_create
from attachments.views import attachment_response
from common.api import StrictInputSerializer
from common.parsers import MultiPartParser
from common.uploads import upload_refusal


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    assessment = serializers.IntegerField(source="assessment_id", allow_null=True)
    system_operator = serializers.CharField(
        source="assessment.system_operator.organisation.name", allow_null=True, default=None,
        help_text="The operator whose assessment the file belongs to; null for the FSP's own files.",
    )
    kind = serializers.ChoiceField(choices=Attachment.Kind.choices)
    filename = serializers.CharField()
    content_type = serializers.CharField(help_text="Detected from the content, not from the name.")
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploader_label")
    uploaded_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField()

    def get_download(self, obj) -> str:
        return f"/api/attachments/{obj.pk}/download/"


def _too_large(refusal: str) -> Response:
    body = {"detail": refusal, "errors": {"file": [refusal]}}
    return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


class CaseAttachmentListCreateApi(views.APIView):
    parser_classes = [MultiPartParser]

    class InputSerializer(StrictInputSerializer):
        file = serializers.FileField(allow_empty_file=True)
        kind = serializers.ChoiceField(choices=Attachment.Kind.choices)
        assessment = serializers.IntegerField(
            required=False, allow_null=True,
            help_text="An SO engineer's own assessment on the case; omitted by the owning FSP.",
        )

    @extend_schema(
        operation_id="case_attachments_list",
        summary="List a case's attachments",
        description="Everyone who may read the case: the owning FSP, the assessing SOs, the NRA. "
        "Others get 404.",
        responses={200: AttachmentOutputSerializer(many=True)},
    )
    def get(self, request: Request, pk: int) -> Response:
        case, _rights = case_for_attaching(user=request.user, pk=pk)
        rows = attachment_list_for_case(case=case)
        return Response(AttachmentOutputSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="case_attachments_create",
        summary="Attach a file to a case",
        description="The owning FSP attaches to its application (single_line_diagram, data_sheet, other); "
        "an SO engineer to its assessment (grid_study, decision, information_request, other; give "
        "`assessment`). PDF, PNG, JPEG or office documents up to GRIDPREQUAL_ATTACHMENT_MAX_BYTES; the "
        "type is checked by content and must agree with the name's extension. Readers who may not "
        "attach get 403, outsiders 404.",
        request={"multipart/form-data": InputSerializer},
        responses={
            201: AttachmentOutputSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Errors per field."),
            413: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        case, rights = case_for_attaching(user=request.user, pk=pk)
        if not rights.any:
            raise PermissionDenied
        if refusal := upload_refusal(request):
            return _too_large(refusal)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assessment = None
        if data.get("assessment") is not None:
            assessment = next((a for a in rights.assessments if a.pk == data["assessment"]), None)
            if assessment is None:
                raise serializers.ValidationError(
                    {"assessment": [_("Give one of your own operator's assessments on this case.")]}
                )
        attachment = attachment_create(
            user=request.user, case=case, file=data["file"], kind=data["kind"], assessment=assessment
        )
        return Response(AttachmentOutputSerializer(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadApi(views.APIView):
    @extend_schema(
        operation_id="attachments_download",
        summary="Download an attachment",
        description="The file itself (Content-Disposition: attachment, nosniff), for everyone who may "
        "read its case; others get 404.",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int):
        return attachment_response(attachment_get_for_user(user=request.user, pk=pk))
