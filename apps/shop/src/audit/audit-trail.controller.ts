import { BadRequestException, Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { AuditService, type TransactionTrail, isSafeTransactionId } from 'nestjs-audit-trail';

/**
 * What support opens when a customer quotes a transaction ID: every row of both trails for it.
 * A real shop puts this behind its back-office authentication.
 */
@Controller('audit/transactions')
export class AuditTrailController {
  constructor(private readonly audit: AuditService) {}

  @Get(':id')
  async trail(@Param('id') transactionId: string): Promise<TransactionTrail> {
    if (!isSafeTransactionId(transactionId)) {
      throw new BadRequestException('a transaction ID is at most 100 letters, digits or _.:-');
    }
    // API rows are written in the background, off the caller's path; asked right after a checkout,
    // the trail must already show the calls that checkout made.
    await this.audit.flushApiCalls();
    const trail = await this.audit.queryByTransaction(transactionId);
    if (trail.dataLogs.length === 0 && trail.apiLogs.length === 0) {
      throw new NotFoundException(`nothing was recorded under transaction ${transactionId}`);
    }
    return trail;
  }
}
