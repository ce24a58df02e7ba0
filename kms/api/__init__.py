"""The AWS JSON 1.1 wire protocol of the KMS (X-Amz-Target: TrentService.*)."""
